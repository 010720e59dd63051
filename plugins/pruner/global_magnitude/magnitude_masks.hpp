#pragma once
// Global weight-magnitude pruning (Han et al. 2015; the weight-level pruning of
// Eric-mingjie/rethinking-network-pruning): one threshold over all convolution weights (and
// linear weights when asked), so layers lose different shares.
#include <dfkd/pruner.hpp>

namespace dfkd::magnitude_pruning {

/// Masks pruning exactly floor(total · fraction) of the chosen weights, those of smallest |w|
/// over all of them together (ties: the earlier parameter, then the lower flat index, goes
/// first). Chosen: every 4-d weight (convolutions), and every 2-d weight with `include_linear`.
/// Biases are never pruned.
PruningMasks global_magnitude_masks(torch::nn::Module& network, double fraction,
                                    bool include_linear);

}  // namespace dfkd::magnitude_pruning
