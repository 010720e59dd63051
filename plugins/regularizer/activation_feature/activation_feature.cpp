// Generator-stage regularizer R_m: negative L1 norm of a teacher feature tap.
#include <dfkd/sdk.hpp>

#include "activation_feature_loss.hpp"

namespace dfkd_activation_feature {

class ActivationFeature : public dfkd::Regularizer {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "R_m (Qu et al. eq. 3): -(1/B) sum_b ||f_T(x_b)||_1 of a teacher feature tap, at "
        "the generator step";
    info.options = {
        dfkd::option_string("tap", "features", "teacher feature tap (flattened per sample)"),
        dfkd::option_bool("normalize", false,
                          "false: eq. 3 exactly; true: DAFL's -mean|f|, i.e. divided by the "
                          "feature dimension"),
    };
    return info;
  }

  explicit ActivationFeature(const dfkd::Options& o)
      : tap_(o.string("tap")), normalize_(o.boolean("normalize")) {}

  dfkd::RegularizerStage stage() const override { return dfkd::RegularizerStage::Generator; }

  torch::Tensor generator_term(const dfkd::GeneratorStepInputs& in) override {
    return dfkd::losses::activation_feature(in.teacher.feature(tap_), normalize_);
  }

 private:
  std::string tap_;
  bool normalize_;
};

}  // namespace dfkd_activation_feature

DFKD_PLUGIN(regularizer, "activation_feature", "1.0.0", dfkd_activation_feature::ActivationFeature)
