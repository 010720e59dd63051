#pragma once
// L1-norm filter pruning (Li et al. 2017, as Eric-mingjie/rethinking-network-pruning's
// l1-norm-pruning does it per layer): keep the int(C·(1−fraction)) output filters of largest L1
// norm in each convolution; a pruned filter's bias goes with it.
#include <dfkd/pruner.hpp>

namespace dfkd::filter_pruning {

/// Mask [C, 1, 1, 1] expanded to `weight`'s shape [C, in, kh, kw]: 1 for the kept filters. At
/// least one filter is kept; ties in L1 norm keep the lower index.
torch::Tensor filter_mask(const torch::Tensor& weight, double fraction);

/// Masks for every 4-d weight of `network` (convolutions) and the bias beside it.
PruningMasks l1_filter_masks(torch::nn::Module& network, double fraction);

}  // namespace dfkd::filter_pruning
