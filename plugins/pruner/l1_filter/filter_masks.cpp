#include "filter_masks.hpp"

#include <algorithm>

namespace dfkd::filter_pruning {

torch::Tensor filter_mask(const torch::Tensor& weight, double fraction) {
  torch::NoGradGuard no_grad;
  const int64_t filters = weight.size(0);
  const auto keep = std::max<int64_t>(1, static_cast<int64_t>(filters * (1.0 - fraction)));
  const auto norms = weight.detach().abs().flatten(1).sum(1).to(torch::kFloat64);
  // A stable descending sort: equal norms keep the lower index first.
  const auto order = std::get<1>(norms.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  auto kept = torch::zeros({filters}, weight.options());
  kept.index_fill_(0, order.narrow(0, 0, keep), 1.0);
  return kept.view({filters, 1, 1, 1}).expand_as(weight).contiguous();
}

PruningMasks l1_filter_masks(torch::nn::Module& network, double fraction) {
  PruningMasks masks;
  const auto params = network.named_parameters();
  for (const auto& p : params) {
    const auto& name = p.key();
    if (p.value().dim() != 4) continue;
    const auto mask = filter_mask(p.value(), fraction);
    masks[name] = mask;
    const auto suffix = std::string("weight");
    if (name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const auto bias = name.substr(0, name.size() - suffix.size()) + "bias";
    if (const auto* b = params.find(bias))
      masks[bias] = mask.select(3, 0).select(2, 0).select(1, 0).contiguous().to(b->scalar_type());
  }
  return masks;
}

}  // namespace dfkd::filter_pruning
