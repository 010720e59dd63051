// An out-of-tree regularizer: penalises large student logits at the student step,
//   R = mean_i ||s(x_i)||^p / num_classes,
// which keeps a distilled student from matching the teacher by inflating its logits.
#include <dfkd/sdk.hpp>

namespace example {

class LogitNorm : public dfkd::Regularizer {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc = "Example out-of-tree plugin: mean p-th power of the student's logit norm";
    info.options = {
        dfkd::option_real("p", 2.0, "power of the logit norm (2: squared L2)").greater_than(0)};
    return info;
  }

  explicit LogitNorm(const dfkd::Options& options) : p_(options.real("p")) {
    if (p_ <= 0.0)
      throw dfkd::ConfigError("example_logit_norm: option p: expected > 0, found " +
                              std::to_string(p_));
  }

  dfkd::RegularizerStage stage() const override { return dfkd::RegularizerStage::Student; }

  torch::Tensor student_term(const dfkd::StudentStepInputs& in) override {
    const torch::Tensor logits = in.student.forward(in.x).logits;
    return logits.norm(2, /*dim=*/1).pow(p_).mean() / logits.size(1);
  }

 private:
  double p_;
};

}  // namespace example

DFKD_PLUGIN(regularizer, "example_logit_norm", "1.0.0", example::LogitNorm)
