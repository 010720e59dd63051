// Generator-stage regularizer R_l: cross-entropy of the teacher against its own argmax.
#include <dfkd/sdk.hpp>

#include "activation_logit_loss.hpp"

namespace dfkd_activation_logit {

class ActivationLogit : public dfkd::Regularizer {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "R_l (Qu et al. eq. 2): mean CE of the teacher's logits against their argmax, at "
        "the generator step";
    return info;
  }

  explicit ActivationLogit(const dfkd::Options&) {}

  dfkd::RegularizerStage stage() const override { return dfkd::RegularizerStage::Generator; }

  torch::Tensor generator_term(const dfkd::GeneratorStepInputs& in) override {
    return dfkd::losses::activation_logit(in.teacher.logits);
  }
};

}  // namespace dfkd_activation_logit

DFKD_PLUGIN(regularizer, "activation_logit", "1.0.0", dfkd_activation_logit::ActivationLogit)
