// Feature distillation (Park, Yoo, Kwak 2021, eq. 2) on the real training set:
// gamma * CE(S(x), y) + beta * mean | T(x)/||T(x)|| - R(S(x))/||R(S(x))|| |, per-sample L2
// normalisation, R a 1x1 convolution trained with the student. beta 0 (the default) applies the
// paper's rule: the value that makes both terms equal on the first batch, kept for the whole run
// (checkpointed, so a resumed run keeps it).
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "fd_loss.hpp"

namespace dfkd_fd {

namespace {
const auto kStudentOptimizer = dfkd::OptimizerOptions::sgd_or_adam(
    "student", dfkd::sgd(0.05, 0.9, 5e-4), "the student and the regressor");
}  // namespace

class FeatureDistillation : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "feature distillation (Park et al. 2021, eq. 2) on real labelled data: gamma * CE + beta * "
        "L1 of per-sample L2-normalised features, the student's through a 1x1 regressor trained "
        "with it; beta 0 = balance both terms on the first batch";
    info.options = {
        dfkd::option_string("teacher_tap", "conv3",
                            "teacher feature (the last map before pooling; LeNet-5: conv3, "
                            "120x1x1)"),
        dfkd::option_string("student_tap", "conv3", "student feature regressed onto it"),
        dfkd::option_string("regressor", "conv", "R: a 1x1 convolution, or with BN and ReLU",
                            {"conv", "conv_bn_relu"}),
        dfkd::option_real("beta", 0.0,
                          "weight of the feature term; 0 = gamma*ce/fd on the first batch (Park et "
                          "al.: 500 for ResNets, 1500 for VGG came out of that rule)")
            .at_least(0),
        dfkd::option_real("gamma", 1.0, "weight of the cross-entropy with the true labels")
            .at_least(0),
    };
    kStudentOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.uses_training_data = true;
    info.method_traits.accepts_mixed_labels = true;  // label_cross_entropy
    return info;
  }

  explicit FeatureDistillation(const dfkd::Options& o)
      : teacher_tap_(o.string("teacher_tap")),
        student_tap_(o.string("student_tap")),
        regressor_kind_(o.string("regressor")),
        beta_option_(o.real("beta")),
        gamma_(o.real("gamma")),
        optimizer_(kStudentOptimizer.read(o)) {
    if (gamma_ == 0 && beta_option_ == 0)
      throw dfkd::ConfigError(
          "fd: options gamma 0 and beta 0: beta 0 balances the feature term against gamma * CE, "
          "which is 0, so nothing would train; set beta > 0 or gamma > 0");
  }

  void setup(dfkd::TrainContext& ctx) override {
    const auto s = dfkd::probe_forward(ctx.student, ctx.data_shape, ctx.device);
    const auto t = dfkd::probe_forward(*ctx.teacher, ctx.data_shape, ctx.device);
    const auto ss = dfkd::tap_of(s, student_tap_, "fd", "student").sizes().slice(1).vec();
    const auto ts = dfkd::tap_of(t, teacher_tap_, "fd", "teacher").sizes().slice(1).vec();
    try {
      regressor_ = dfkd::losses::make_fd_regressor(ss, ts, regressor_kind_);
    } catch (const std::invalid_argument& e) {
      throw dfkd::ConfigError(fmt::format("fd: options student_tap '{}' and teacher_tap '{}': {}",
                                          student_tap_, teacher_tap_, e.what()));
    }
    // beta as the run uses it: a buffer, so that a resumed run keeps the first batch's value.
    regressor_->register_buffer("beta", torch::tensor(beta_option_, torch::kDouble));
    regressor_->to(ctx.device);
    beta_ = regressor_->named_buffers()["beta"];
    ctx.add_module("regressor", regressor_.ptr());
    auto params = ctx.student.module().parameters();
    for (auto& p : regressor_->parameters()) params.push_back(p);
    student_opt_ = &ctx.add_optimizer("student", dfkd::make_optimizer(params, optimizer_));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    regressor_->train();
    auto f = dfkd::distill_forward(ctx, "fd");
    auto ce = dfkd::label_cross_entropy(f.student.logits, f.batch);
    auto fd = dfkd::losses::fd_loss(regressor_->forward(f.student.feature(student_tap_)),
                                    f.teacher.feature(teacher_tap_));
    const double ce_value = ce.item<double>(), fd_value = fd.item<double>();
    if (beta_.item<double>() == 0)
      beta_.fill_(dfkd::losses::balanced_beta(gamma_ * ce_value, fd_value));
    const double beta = beta_.item<double>();
    dfkd::StepMetrics metrics{{"loss_ce", ce_value}, {"loss_fd", fd_value}, {"fd_beta", beta}};
    metrics["loss_student"] = dfkd::optimizer_step(gamma_ * ce + beta * fd, {student_opt_});
    metrics["train_accuracy"] = dfkd::batch_accuracy(f.student.logits, f.batch);
    return metrics;
  }

 private:
  std::string teacher_tap_, student_tap_, regressor_kind_;
  double beta_option_, gamma_;
  dfkd::OptimizerSettings optimizer_;
  torch::nn::Sequential regressor_{nullptr};
  torch::Tensor beta_;
  torch::optim::Optimizer* student_opt_ = nullptr;
};

}  // namespace dfkd_fd

DFKD_PLUGIN(method, "fd", "1.0.0", dfkd_fd::FeatureDistillation)
