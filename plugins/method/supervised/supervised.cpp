// Plain cross-entropy training on real labelled data: teachers and real-data student baselines.
#include <dfkd/sdk.hpp>

namespace dfkd_supervised {

namespace {
const auto kStudentOptimizer =
    dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.1, 0.9, 5e-4));
}  // namespace

class Supervised : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc = "Supervised training of the student with cross-entropy on the real training set";
    kStudentOptimizer.declare(info.options);
    info.method_traits.uses_training_data = true;
    info.method_traits.accepts_mixed_labels = true;  // label_cross_entropy
    return info;
  }

  explicit Supervised(const dfkd::Options& o) : optimizer_settings_(kStudentOptimizer.read(o)) {}

  void setup(dfkd::TrainContext& ctx) override {
    optimizer_ = &ctx.add_optimizer(
        "student", dfkd::make_optimizer(ctx.student.module().parameters(), optimizer_settings_));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    if (!ctx.train_data)
      throw std::logic_error("supervised: iteration: expected training data, found none");
    // The host switches to eval mode for evaluation; make sure BN/dropout train here.
    ctx.student.module().train();
    const dfkd::Batch batch = ctx.train_data->next();
    auto logits = ctx.student.forward(batch.x).logits;
    auto loss = dfkd::label_cross_entropy(logits, batch);
    return {{"loss_student", dfkd::optimizer_step(loss, {optimizer_})},
            {"train_accuracy", dfkd::batch_accuracy(logits, batch)}};
  }

 private:
  dfkd::OptimizerSettings optimizer_settings_;
  torch::optim::Optimizer* optimizer_ = nullptr;
};

}  // namespace dfkd_supervised

DFKD_PLUGIN(method, "supervised", "2.0.0", dfkd_supervised::Supervised)
