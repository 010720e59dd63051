#include "engine/training_data.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace dfkd::host {

ShuffledBatches::ShuffledBatches(const Dataset& data, int64_t batch_size, torch::Device device,
                                 torch::Generator& rng,
                                 std::vector<std::unique_ptr<Augmentation>> augmentations)
    : data_(data),
      batch_size_(batch_size),
      n_(data.train().x.size(0)),
      device_(device),
      rng_(rng),
      augmentations_(std::move(augmentations)) {}

Batch ShuffledBatches::next() {
  // A new permutation per pass; the last incomplete batch of a pass is dropped (as
  // DataLoader(drop_last=True)) unless the split is smaller than one batch.
  if (!order_.defined() || cursor_ + std::min(batch_size_, n_) > n_) {
    order_ = torch::randperm(n_, rng_, torch::kLong);
    cursor_ = 0;
  }
  const int64_t take = std::min(batch_size_, n_);
  auto idx = order_.narrow(0, cursor_, take);
  cursor_ += take;
  auto x = data_.augment(data_.train().x.index_select(0, idx), rng_);
  auto y = data_.train().y.index_select(0, idx);
  if (!device_.is_cpu()) {
    x = x.to(device_);
    y = y.to(device_);
  }
  Batch batch{x, y};
  for (const auto& a : augmentations_) batch = a->apply(std::move(batch), rng_);
  return batch;
}

void ShuffledBatches::restore(Position p) {
  if (p.order.defined() && (p.order.numel() != n_ || p.cursor < 0 || p.cursor > n_))
    throw std::runtime_error(
        fmt::format("the checkpoint's batch order covers {} samples at position {}, but the "
                    "training split has {}",
                    p.order.numel(), p.cursor, n_));
  order_ = std::move(p.order);
  cursor_ = p.cursor;
}

}  // namespace dfkd::host
