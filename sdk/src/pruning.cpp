// The host's side of pruning masks (dfkd/pruner.hpp), in the SDK so plugins and tests share it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/accumulate_grad.h>

#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "dfkd/pruner.hpp"

namespace dfkd {

namespace {

const torch::Tensor& parameter_for(const torch::OrderedDict<std::string, torch::Tensor>& params,
                                   const std::string& name, const torch::Tensor& mask) {
  const auto* p = params.find(name);
  if (!p)
    throw std::invalid_argument(
        fmt::format("pruning mask for '{}': the network has no such parameter", name));
  if (!p->sizes().equals(mask.sizes()))
    throw std::invalid_argument(
        fmt::format("pruning mask for '{}': shape {} but the parameter "
                    "is {}",
                    name, mask.sizes().vec(), p->sizes().vec()));
  return *p;
}

}  // namespace

void apply_masks(torch::nn::Module& network, const PruningMasks& masks) {
  torch::NoGradGuard no_grad;
  const auto params = network.named_parameters();
  for (const auto& [name, mask] : masks) {
    auto p = parameter_for(params, name, mask);
    p.mul_(mask.to(p.device(), p.scalar_type()));
  }
}

int64_t effective_parameters(torch::nn::Module& network, const PruningMasks& masks) {
  int64_t n = 0;
  for (const auto& p : network.named_parameters()) {
    const auto m = masks.find(p.key());
    n += m == masks.end() ? p.value().numel() : p.value().count_nonzero().item<int64_t>();
  }
  return n;
}

std::map<std::string, int64_t> macs_per_weight(Model& model,
                                               const std::vector<int64_t>& sample_shape) {
  auto& net = model.module();
  const bool was_training = net.is_training();
  net.eval();  // batch statistics of one sample would also move BatchNorm's running averages
  std::vector<int64_t> batch_of_one{1};
  batch_of_one.insert(batch_of_one.end(), sample_shape.begin(), sample_shape.end());
  const auto options = net.parameters().front().options().requires_grad(false);
  torch::Tensor out;
  {
    torch::AutoGradMode grad(true);
    out = model.forward(torch::zeros(batch_of_one, options)).logits;
  }
  net.train(was_training);
  return macs_per_weight(net, out);
}

std::map<std::string, int64_t> macs_per_weight(torch::nn::Module& network,
                                               const torch::Tensor& output) {
  using torch::autograd::AccumulateGrad;
  using torch::autograd::Node;
  if (output.dim() < 1 || output.size(0) != 1)
    throw std::invalid_argument("macs_per_weight: expected the output of a batch of one sample");
  std::unordered_map<const void*, std::string> names;
  for (const auto& p : network.named_parameters())
    if (p.value().dim() >= 2) names[p.value().unsafeGetTensorImpl()] = p.key();

  std::map<std::string, int64_t> uses;
  std::vector<Node*> stack{output.grad_fn().get()};
  std::unordered_set<Node*> seen;
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (!node || !seen.insert(node).second) continue;
    const bool transpose = node->name() == "TBackward0";
    for (const auto& edge : node->next_edges()) {
      Node* next = edge.function.get();
      if (!next) continue;
      stack.push_back(next);
      if (transpose) continue;  // counted at the matmul that consumes the transpose
      // A linear layer's weight reaches its matmul through t(), a convolution's directly.
      Node* leaf = next;
      if (next->name() == "TBackward0" && next->num_outputs() == 1)
        leaf = next->next_edge(0).function.get();
      const auto* acc = dynamic_cast<AccumulateGrad*>(leaf);
      if (!acc) continue;
      const auto name = names.find(acc->variable.unsafeGetTensorImpl());
      if (name == names.end()) continue;
      // The node's forward output: [1, C, H, W] for a convolution, [1, out] for a linear layer.
      const auto out_like = node->input_metadata(0).zeros_like();
      const auto out_sizes = out_like.sizes();
      int64_t positions = 1;
      for (size_t d = 2; d < out_sizes.size(); ++d) positions *= out_sizes[d];
      uses[name->second] += positions;
    }
  }
  for (const auto& [impl, name] : names)
    if (!uses.count(name))
      throw std::runtime_error(fmt::format(
          "macs_per_weight: the forward pass never used weight '{}' in a convolution or a matrix "
          "product",
          name));
  return uses;
}

int64_t effective_macs(torch::nn::Module& network, const std::map<std::string, int64_t>& uses) {
  int64_t macs = 0;
  for (const auto& p : network.named_parameters())
    if (const auto u = uses.find(p.key()); u != uses.end())
      macs += p.value().count_nonzero().item<int64_t>() * u->second;
  return macs;
}

}  // namespace dfkd
