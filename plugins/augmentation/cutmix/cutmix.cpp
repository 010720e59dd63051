// CutMix (Yun et al. 2019; Park et al. 2021 eqs. 4-5): with probability p per batch, paste a box
// of each image's partner (a permutation of the batch) into it and mix the labels by the box's
// area. Follows clovaai/CutMix-PyTorch train.py: λ ~ Beta(α, α), box sides √(1−λ)·H and √(1−λ)·W
// at a uniform centre, clipped, λ recomputed from the clipped box.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <dfkd/sdk.hpp>

#include "mixing.hpp"

namespace dfkd_cutmix {

class CutMix : public dfkd::Augmentation {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "CutMix (Yun et al. 2019): paste a box from a partner image, labels mixed by area; "
        "for image batches [N, C, H, W]";
    info.options = {dfkd::option_real("probability", 0.5,
                                      "chance that a batch is mixed (the reference cutmix_prob)")
                        .at_least(0.0)
                        .at_most(1.0),
                    dfkd::option_real("alpha", 1.0, "λ ~ Beta(alpha, alpha)").greater_than(0.0)};
    info.augmentation_traits.mixes_labels = true;
    return info;
  }

  CutMix(const dfkd::Options& o, const dfkd::DataShape& shape)
      : probability_(o.real("probability")), alpha_(o.real("alpha")) {
    if (shape.input_shape.size() != 3)
      throw dfkd::ConfigError(fmt::format(
          "cutmix pastes boxes of images [C, H, W]; this dataset's samples have shape [{}]; use "
          "mixup for other data",
          fmt::join(shape.input_shape, ", ")));
  }

  dfkd::Batch apply(dfkd::Batch batch, torch::Generator& rng) const override {
    // Every draw happens on every batch, so the stream does not depend on the outcome.
    const double u = torch::rand({1}, rng, torch::kFloat64).item<double>();
    const double lambda = dfkd::mixing::sample_beta(alpha_, rng);
    const int64_t n = batch.x.size(0), h = batch.x.size(2), w = batch.x.size(3);
    const auto perm = torch::randperm(n, rng, torch::kLong);
    const int64_t cy = torch::randint(h, {1}, rng, torch::kLong).item<int64_t>();
    const int64_t cx = torch::randint(w, {1}, rng, torch::kLong).item<int64_t>();
    if (u >= probability_) return batch;
    const auto box = dfkd::mixing::cutmix_box(h, w, lambda, cy, cx);
    batch.x = dfkd::mixing::paste_box(batch.x, perm.to(batch.x.device()), box);
    return dfkd::mix_labels(std::move(batch), perm,
                            torch::tensor(dfkd::mixing::own_weight(box, h, w)));
  }

 private:
  double probability_, alpha_;
};

}  // namespace dfkd_cutmix

DFKD_PLUGIN(augmentation, "cutmix", "1.0.0", dfkd_cutmix::CutMix)
