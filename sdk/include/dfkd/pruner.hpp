#pragma once
/// Pruner plugins choose which weights of a network to remove. A row names one under "pruning";
/// the host asks it once, at the start of a fresh run, after the run's `init_from` weights are
/// loaded (train, prune, then fine-tune). The host keeps the masks for the whole run: pruned
/// weights are zeroed at once and after every iteration, their gradients are masked (so momentum
/// and Adam state stay zero there), and the masks are saved in every checkpoint, so a resumed
/// run continues with exactly the same masks.
///
/// Example (prune half the filters of every convolution by L1 norm):
///   dfkd::PruningMasks masks(torch::nn::Module& net) const override {
///     dfkd::PruningMasks out;
///     for (const auto& p : net.named_parameters())
///       if (p.value().dim() == 4) out[p.key()] = keep_largest_filters(p.value(), 0.5);
///     return out;
///   }
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dfkd/model.hpp"

namespace dfkd {

/// Parameter name (as Module::named_parameters() spells it) -> mask of the parameter's shape
/// and dtype, 1 where the weight is kept and 0 where it is pruned. Parameters without an entry
/// are not pruned.
using PruningMasks = std::map<std::string, torch::Tensor>;

class Pruner {
 public:
  virtual ~Pruner();
  /// The masks for `network` as it is now (its trained weights). Must be deterministic: the same
  /// weights give the same masks.
  virtual PruningMasks masks(torch::nn::Module& network) const = 0;
};

/// Zeroes the pruned weights (parameter *= mask, outside autograd). Throws std::invalid_argument
/// naming a mask whose parameter does not exist or has another shape.
void apply_masks(torch::nn::Module& network, const PruningMasks& masks);

/// The parameters left: the nonzero elements of the masked parameters (read from the weights
/// themselves, so a pruned weight that moved off zero shows up here) and every element of the
/// others. A network physically shrunk after filter pruning would also drop the next layer's
/// weights that read a removed filter; those still count here.
int64_t effective_parameters(torch::nn::Module& network, const PruningMasks& masks);

/// Weight name (rank >= 2 parameter) -> multiply-accumulates one of its elements does per sample:
/// a convolution's output positions, 1 for a linear layer. Read from the autograd graph of one
/// forward pass in eval mode on a zero sample of `sample_shape` (no batch dimension), so it holds
/// for any model plugin; the model's training mode is restored. Throws std::runtime_error naming
/// a weight the forward did not use.
std::map<std::string, int64_t> macs_per_weight(Model& model,
                                               const std::vector<int64_t>& sample_shape);

/// The same, from `output`: what `network` computed, with autograd on, from a batch of one.
std::map<std::string, int64_t> macs_per_weight(torch::nn::Module& network,
                                               const torch::Tensor& output);

/// MACs per sample a sparse kernel would do: each weight's nonzero elements times its uses.
int64_t effective_macs(torch::nn::Module& network, const std::map<std::string, int64_t>& uses);

}  // namespace dfkd
