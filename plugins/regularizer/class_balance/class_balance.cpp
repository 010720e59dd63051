// Generator-stage regularizer: DAFL's information-entropy (class balance) term, usable with any
// data-free method. Minimising it pushes the teacher's mean prediction over a generated batch
// towards uniform, so the generator cannot drift to a few classes.
#include <dfkd/sdk.hpp>

#include "dafl_loss.hpp"

namespace dfkd_class_balance {

class ClassBalance : public dfkd::Regularizer {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "L_ie (DAFL, Chen et al. 2019): sum_k p_k log10 p_k of the teacher's mean prediction p "
        "over the generated batch, at the generator step; its minimum, -log10(K), is a balanced "
        "batch";
    return info;
  }

  explicit ClassBalance(const dfkd::Options&) {}

  dfkd::RegularizerStage stage() const override { return dfkd::RegularizerStage::Generator; }

  torch::Tensor generator_term(const dfkd::GeneratorStepInputs& in) override {
    return dfkd::losses::dafl_information_entropy(in.teacher.logits);
  }
};

}  // namespace dfkd_class_balance

DFKD_PLUGIN(regularizer, "class_balance", "1.0.0", dfkd_class_balance::ClassBalance)
