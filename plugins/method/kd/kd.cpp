// KD (Hinton et al. 2015) on the real training set: gamma * CE(S(x), y) + alpha * KD(S(x), T(x)).
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "kd_loss.hpp"

namespace dfkd_kd {

namespace {
const auto kStudentOptimizer =
    dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.05, 0.9, 5e-4));
}  // namespace

class Kd : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Knowledge distillation (Hinton et al. 2015) on real labelled data: gamma * CE + alpha * "
        "T^2 KL(softmax(t/T) || softmax(s/T)); defaults from RepDistiller (T 4, gamma 0.1, "
        "alpha 0.9)";
    info.options = {
        dfkd::option_real("temperature", 4.0, "softmax temperature T").greater_than(0),
        dfkd::option_real("alpha", 0.9, "weight of the KD term").at_least(0),
        dfkd::option_real("gamma", 0.1, "weight of the cross-entropy with the true labels")
            .at_least(0),
    };
    kStudentOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.uses_training_data = true;
    info.method_traits.accepts_mixed_labels = true;  // label_cross_entropy
    return info;
  }

  explicit Kd(const dfkd::Options& o)
      : temperature_(o.real("temperature")),
        alpha_(o.real("alpha")),
        gamma_(o.real("gamma")),
        optimizer_(kStudentOptimizer.read(o)) {
    if (!(temperature_ > 0))
      throw dfkd::ConfigError(
          fmt::format("kd: option temperature: expected a real > 0, found {}", temperature_));
  }

  void setup(dfkd::TrainContext& ctx) override {
    student_opt_ = &ctx.add_optimizer(
        "student", dfkd::make_optimizer(ctx.student.module().parameters(), optimizer_));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    auto f = dfkd::distill_forward(ctx, "kd");
    auto ce = dfkd::label_cross_entropy(f.student.logits, f.batch);
    auto kd = dfkd::losses::kd_loss(f.student.logits, f.teacher.logits, temperature_);
    const double loss = dfkd::optimizer_step(gamma_ * ce + alpha_ * kd, {student_opt_});
    return {{"loss_student", loss},
            {"loss_ce", ce.item<double>()},
            {"loss_kd", kd.item<double>()},
            {"train_accuracy", dfkd::batch_accuracy(f.student.logits, f.batch)}};
  }

 private:
  double temperature_, alpha_, gamma_;
  dfkd::OptimizerSettings optimizer_;
  torch::optim::Optimizer* student_opt_ = nullptr;
};

}  // namespace dfkd_kd

DFKD_PLUGIN(method, "kd", "2.0.0", dfkd_kd::Kd)
