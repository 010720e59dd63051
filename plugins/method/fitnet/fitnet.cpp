// FitNet on the real training set: gamma * CE(S(x), y) + beta * MSE(regressor(S guided), T hint)
// [+ kd_weight * KD(S(x), T(x); T)], the regressor trained with the student (RepDistiller's
// single-stage form; its -a flag adds the KD term, as the paper describes FitNet on CIFAR).
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "fitnet_loss.hpp"
#include "kd_loss.hpp"

namespace dfkd_fitnet {

namespace {
const auto kStudentOptimizer = dfkd::OptimizerOptions::sgd_or_adam(
    "student", dfkd::sgd(0.05, 0.9, 5e-4), "the student and the regressor");
}  // namespace

class FitNet : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "FitNets (Romero et al. 2015) on real labelled data: gamma * CE + beta * MSE(r(f_s), f_t) "
        "with a regressor r trained jointly; defaults from RepDistiller (beta 100, gamma 1)";
    info.options = {
        dfkd::option_string("hint_tap", "conv2",
                            "teacher tap giving the hint (LeNet-5: conv2, 16x5x5 after ReLU and "
                            "pool; ResNet: layer2, RepDistiller's --hint_layer 2)"),
        dfkd::option_string("guided_tap", "conv2", "student tap regressed onto the hint"),
        dfkd::option_real("beta", 100.0, "weight of the hint loss").at_least(0),
        dfkd::option_real("gamma", 1.0, "weight of the cross-entropy with the true labels")
            .at_least(0),
        dfkd::option_real("kd_weight", 0.0,
                          "weight of Hinton's KD term on the logits (the kd method's loss); 0 = "
                          "hints and labels only (RepDistiller's FitNet); > 0 matches the logits "
                          "too, as Qu et al. describe FitNet on CIFAR")
            .at_least(0),
        dfkd::option_real("kd_temperature", 4.0, "temperature T of the KD term").greater_than(0),
    };
    kStudentOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.uses_training_data = true;
    info.method_traits.accepts_mixed_labels = true;  // label_cross_entropy
    return info;
  }

  explicit FitNet(const dfkd::Options& o)
      : hint_tap_(o.string("hint_tap")),
        guided_tap_(o.string("guided_tap")),
        beta_(o.real("beta")),
        gamma_(o.real("gamma")),
        kd_weight_(o.real("kd_weight")),
        kd_temperature_(o.real("kd_temperature")),
        optimizer_(kStudentOptimizer.read(o)) {}

  void setup(dfkd::TrainContext& ctx) override {
    const auto s = dfkd::probe_forward(ctx.student, ctx.data_shape, ctx.device);
    const auto t = dfkd::probe_forward(*ctx.teacher, ctx.data_shape, ctx.device);
    const auto ss = dfkd::tap_of(s, guided_tap_, "fitnet", "student").sizes().slice(1).vec();
    const auto ts = dfkd::tap_of(t, hint_tap_, "fitnet", "teacher").sizes().slice(1).vec();
    try {
      regressor_ = dfkd::losses::make_hint_regressor(ss, ts);
    } catch (const std::invalid_argument& e) {
      throw dfkd::ConfigError(fmt::format("fitnet: options guided_tap '{}' and hint_tap '{}': {}",
                                          guided_tap_, hint_tap_, e.what()));
    }
    regressor_->to(ctx.device);
    ctx.add_module("regressor", regressor_.ptr());
    auto params = ctx.student.module().parameters();
    for (auto& p : regressor_->parameters()) params.push_back(p);
    student_opt_ = &ctx.add_optimizer("student", dfkd::make_optimizer(params, optimizer_));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    regressor_->train();
    auto f = dfkd::distill_forward(ctx, "fitnet");
    auto ce = dfkd::label_cross_entropy(f.student.logits, f.batch);
    auto hint = dfkd::losses::fitnet_hint_loss(regressor_->forward(f.student.feature(guided_tap_)),
                                               f.teacher.feature(hint_tap_));
    auto total = gamma_ * ce + beta_ * hint;
    dfkd::StepMetrics metrics{{"loss_ce", ce.item<double>()}, {"loss_hint", hint.item<double>()}};
    if (kd_weight_ > 0) {
      const auto kd = dfkd::losses::kd_loss(f.student.logits, f.teacher.logits, kd_temperature_);
      total = total + kd_weight_ * kd;
      metrics["loss_kd"] = kd.item<double>();
    }
    metrics["loss_student"] = dfkd::optimizer_step(total, {student_opt_});
    metrics["train_accuracy"] = dfkd::batch_accuracy(f.student.logits, f.batch);
    return metrics;
  }

 private:
  std::string hint_tap_, guided_tap_;
  double beta_, gamma_, kd_weight_, kd_temperature_;
  dfkd::OptimizerSettings optimizer_;
  torch::nn::Sequential regressor_{nullptr};
  torch::optim::Optimizer* student_opt_ = nullptr;
};

}  // namespace dfkd_fitnet

DFKD_PLUGIN(method, "fitnet", "2.1.0", dfkd_fitnet::FitNet)
