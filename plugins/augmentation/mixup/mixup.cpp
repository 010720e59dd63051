// Mixup (Zhang et al. 2018): each sample blended with a partner (a permutation of the batch),
// x̃ = λx + (1−λ)x[perm], labels mixed with the same λ ~ Beta(α, α), one λ per batch.
#include <dfkd/sdk.hpp>

#include "mixing.hpp"

namespace dfkd_mixup {

class Mixup : public dfkd::Augmentation {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc = "Mixup (Zhang et al. 2018): convex blend with a partner sample, labels mixed alike";
    info.options = {
        dfkd::option_real("probability", 1.0, "chance that a batch is mixed")
            .at_least(0.0)
            .at_most(1.0),
        dfkd::option_real("alpha", 1.0, "λ ~ Beta(alpha, alpha); 0.2 is common on ImageNet")
            .greater_than(0.0)};
    info.augmentation_traits.mixes_labels = true;
    return info;
  }

  Mixup(const dfkd::Options& o, const dfkd::DataShape&)
      : probability_(o.real("probability")), alpha_(o.real("alpha")) {}

  dfkd::Batch apply(dfkd::Batch batch, torch::Generator& rng) const override {
    const double u = torch::rand({1}, rng, torch::kFloat64).item<double>();
    const double lambda = dfkd::mixing::sample_beta(alpha_, rng);
    const auto perm = torch::randperm(batch.x.size(0), rng, torch::kLong);
    if (u >= probability_) return batch;
    batch.x = dfkd::mixing::blend(batch.x, perm.to(batch.x.device()), lambda);
    return dfkd::mix_labels(std::move(batch), perm, torch::tensor(lambda));
  }

 private:
  double probability_, alpha_;
};

}  // namespace dfkd_mixup

DFKD_PLUGIN(augmentation, "mixup", "1.0.0", dfkd_mixup::Mixup)
