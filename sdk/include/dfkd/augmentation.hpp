#pragma once
/// Augmentation plugins transform the real training batches of a run before the method sees
/// them: per-sample policies (AutoAugment) and label-mixing schemes (CutMix, Mixup). A run lists
/// them under "augmentations" (a row's for its students, a column teacher's for the teacher) and
/// the host applies them in that order after the dataset's own augmentation.
///
/// Example (Mixup):
///   dfkd::Batch apply(dfkd::Batch b, torch::Generator& rng) const override {
///     const auto perm = torch::randperm(b.x.size(0), rng, torch::kLong);
///     ...
///     return dfkd::mix_labels(std::move(b), perm, lambda);
///   }
#include <torch/torch.h>

#include "dfkd/batch.hpp"

namespace dfkd {

/// What an augmentation does to labels; the host checks it against the method's traits.
struct AugmentationTraits {
  /// apply() may return mixed labels (Batch::mixed()); only methods with
  /// MethodTraits::accepts_mixed_labels can train on them.
  bool mixes_labels = false;
};

class Augmentation {
 public:
  virtual ~Augmentation();
  /// The augmented batch. All randomness comes from `rng` (the run's stream, checkpointed), so a
  /// resumed run draws what an uninterrupted one would. Must keep x's shape and dtype, and pass
  /// mixed labels through unchanged unless it mixes itself.
  virtual Batch apply(Batch batch, torch::Generator& rng) const = 0;
};

/// `batch` with each sample i's label blended with that of sample perm[i], y keeping weight
/// `weight` ([N], or one value for the whole batch): the label half of every pairwise mixing
/// scheme. Throws std::invalid_argument on an already mixed batch (a run has at most one mixing
/// augmentation; the host refuses two before training).
Batch mix_labels(Batch batch, const torch::Tensor& perm, const torch::Tensor& weight);

}  // namespace dfkd
