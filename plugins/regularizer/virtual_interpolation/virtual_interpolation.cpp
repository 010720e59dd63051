// Student-stage regularizer: virtual interpolation (mixup of generated samples with interpolated
// teacher logits as targets), measured with the method's own discrepancy.
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "virtual_interpolation_loss.hpp"

namespace dfkd_virtual_interpolation {

class VirtualInterpolation : public dfkd::Regularizer {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Virtual interpolation (Qu et al. eq. 9): D(S(lx_i + (1-l)x_j), l T(x_i) + "
        "(1-l) T(x_j)) with l ~ Beta(alpha, alpha), partner j a permutation of the batch";
    info.options = {
        dfkd::option_real("alpha", 1.0,
                          "lambda ~ Beta(alpha, alpha); 1 = uniform (mixup's default)"),
        dfkd::option_bool("per_sample", false,
                          "false: one lambda per batch, as in mixup; true: one per sample"),
        dfkd::option_string("target", "interpolated_logits",
                            "target of the mixed samples: the interpolated teacher logits (no "
                            "extra teacher pass)",
                            {"interpolated_logits"}),
    };
    return info;
  }

  explicit VirtualInterpolation(const dfkd::Options& o)
      : alpha_(o.real("alpha")), per_sample_(o.boolean("per_sample")) {
    if (!(alpha_ > 0))
      throw dfkd::ConfigError(fmt::format(
          "virtual_interpolation: option alpha: expected a real > 0, found {}", alpha_));
  }

  dfkd::RegularizerStage stage() const override { return dfkd::RegularizerStage::Student; }

  torch::Tensor student_term(const dfkd::StudentStepInputs& in) override {
    const int64_t batch = in.x.size(0);
    std::vector<int64_t> shape;
    if (per_sample_) shape.push_back(batch);
    auto lambda = dfkd::losses::sample_beta(alpha_, shape, in.rng);
    auto perm = torch::randperm(batch, in.rng, torch::kLong);
    return dfkd::losses::virtual_interpolation(in.student, in.discrepancy, in.x, in.teacher.logits,
                                               lambda, perm);
  }

 private:
  double alpha_;
  bool per_sample_;
};

}  // namespace dfkd_virtual_interpolation

DFKD_PLUGIN(regularizer, "virtual_interpolation", "1.0.0",
            dfkd_virtual_interpolation::VirtualInterpolation)
