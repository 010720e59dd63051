#pragma once
/// A batch of real training data, as the host hands it to a method (and to the run's
/// augmentations before that).
#include <torch/torch.h>

namespace dfkd {

/// A supervised batch on the training device (shuffled each epoch, augmented).
///
/// Mixing augmentations (CutMix, Mixup) blend pairs of samples; the label of sample i is then
/// y[i] with weight y_weight[i] and y_mix[i] with 1 − y_weight[i]. Unmixed batches leave both
/// undefined. Train on labels with dfkd::label_cross_entropy (dfkd/training.hpp), which reads
/// both forms; a method that reads `y` alone must not declare accepts_mixed_labels.
struct Batch {
  torch::Tensor x;
  torch::Tensor y;         ///< [N] class indices (int64)
  torch::Tensor y_mix;     ///< [N] class indices of the mixed-in partner, or undefined
  torch::Tensor y_weight;  ///< [N] float weight of y (1 − weight of y_mix), or undefined
  bool mixed() const { return y_mix.defined(); }
};

}  // namespace dfkd
