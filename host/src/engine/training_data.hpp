#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "dfkd/augmentation.hpp"
#include "dfkd/dataset.hpp"
#include "dfkd/method.hpp"

namespace dfkd::host {

/// Shuffled, augmented mini-batches over a dataset's training split: the dataset's own
/// augmentation, then the run's augmentation plugins in order. Indexing an in-memory tensor
/// costs microseconds per batch, so training never waits on data.
class ShuffledBatches final : public BatchSource {
 public:
  ShuffledBatches(const Dataset& data, int64_t batch_size, torch::Device device,
                  torch::Generator& rng,
                  std::vector<std::unique_ptr<Augmentation>> augmentations = {});
  Batch next() override;
  int64_t size() const override { return n_; }

  /// Where the current pass stands. An epoch shorter than a pass (iterations_per_epoch) leaves
  /// the pass to the next epoch, so a checkpoint keeps it: a resumed run then draws the batches
  /// an uninterrupted one would.
  struct Position {
    torch::Tensor order;  ///< undefined: no pass started
    int64_t cursor = 0;
  };
  Position position() const { return {order_, cursor_}; }
  void restore(Position p);

 private:
  const Dataset& data_;
  int64_t batch_size_, n_, cursor_ = 0;
  torch::Device device_;
  torch::Generator& rng_;
  torch::Tensor order_;
  std::vector<std::unique_ptr<Augmentation>> augmentations_;
};

}  // namespace dfkd::host
