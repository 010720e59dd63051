#pragma once
/// Dataset plugins hold whole splits as tensors in memory (the datasets of the paper are small).
#include <cstdint>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace dfkd {

/// What a model or generator needs to know about the data it is built for.
struct DataShape {
  std::vector<int64_t> input_shape;  ///< per sample, e.g. {2} or {1, 32, 32}
  int64_t num_classes = 0;
  /// Images: the per-channel normalisation applied to pixels in [0, 1], x = (pixel − mean) / std,
  /// so pixel-space augmentations (AutoAugment) can work on pixels. Empty for other data.
  std::vector<double> pixel_mean, pixel_std;
};

/// One split: inputs [N, ...] (already normalised) and integer labels [N].
struct Split {
  torch::Tensor x;
  torch::Tensor y;
};

/// Constructing a dataset and calling shape() must not read data files: the host asks for shapes
/// (e.g. `dfkd models`, planning) on machines that may not hold the data. Load in train()/test()/
/// validation() on first use (they are called from one thread).
class Dataset {
 public:
  virtual ~Dataset();
  virtual DataShape shape() const = 0;
  virtual const Split& train() const = 0;
  virtual const Split& test() const = 0;
  /// Where the data comes from beyond the options (e.g. the resolved directory when an option
  /// defaults to an environment variable). The host adds it to every run's config, so runs on
  /// different data never share a run_key. Default: null (the options say it all).
  virtual nlohmann::json source() const;
  /// Training-time augmentation of one batch; seeded through `rng`. Default: none.
  virtual torch::Tensor augment(const torch::Tensor& batch, torch::Generator& rng) const;
  /// Labelled samples held out of the training split (disjoint from train(), never given to a
  /// method), for model selection: when it is non-empty the host evaluates the student on it
  /// every epoch (val_accuracy, val_loss). Default: empty (undefined tensors).
  /// Last in the class so that the earlier vtable slots keep their places (DFKD_ABI_VERSION 5).
  virtual const Split& validation() const;
};

}  // namespace dfkd
