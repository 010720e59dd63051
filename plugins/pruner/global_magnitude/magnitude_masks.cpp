#include "magnitude_masks.hpp"

#include <vector>

namespace dfkd::magnitude_pruning {

PruningMasks global_magnitude_masks(torch::nn::Module& network, double fraction,
                                    bool include_linear) {
  torch::NoGradGuard no_grad;
  std::vector<std::pair<std::string, torch::Tensor>> chosen;
  for (const auto& p : network.named_parameters()) {
    const auto dim = p.value().dim();
    if (dim == 4 || (include_linear && dim == 2)) chosen.emplace_back(p.key(), p.value());
  }
  PruningMasks masks;
  if (chosen.empty()) return masks;
  std::vector<torch::Tensor> flat;
  for (const auto& [name, w] : chosen)
    flat.push_back(w.detach().abs().flatten().to(torch::kFloat64).cpu());
  const auto all = torch::cat(flat);
  const auto pruned = static_cast<int64_t>(static_cast<double>(all.numel()) * fraction);
  const auto order = std::get<1>(all.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  auto keep = torch::ones_like(all);
  keep.index_fill_(0, order.narrow(0, 0, pruned), 0.0);
  int64_t at = 0;
  for (const auto& [name, w] : chosen) {
    masks[name] = keep.narrow(0, at, w.numel()).view(w.sizes()).to(w.options()).contiguous();
    at += w.numel();
  }
  return masks;
}

}  // namespace dfkd::magnitude_pruning
