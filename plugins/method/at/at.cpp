// AT (attention transfer) on the real training set: gamma * CE(S(x), y) + beta * sum over the
// chosen taps of at_loss(S tap, T tap).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <dfkd/sdk.hpp>

#include "at_loss.hpp"

namespace dfkd_at {

namespace {
const auto kStudentOptimizer =
    dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.05, 0.9, 5e-4));
}  // namespace

class At : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Attention transfer (Zagoruyko & Komodakis 2017) on real labelled data: gamma * CE + "
        "beta * sum over taps of mean (a(f_s) - a(f_t))^2, a = L2-normalised channel mean of |f|^p";
    info.options = {
        dfkd::option_strings("taps", {"conv1", "conv2"},
                             "feature taps compared, present in both networks (LeNet-5: conv1, "
                             "conv2 after ReLU and pool; ResNet: layer1..layer4)")
            .non_empty(),
        dfkd::option_real("beta", 1000.0, "weight of the summed attention losses").at_least(0),
        dfkd::option_real("gamma", 1.0, "weight of the cross-entropy with the true labels")
            .at_least(0),
        dfkd::option_real("p", 2.0, "power of |f| in the attention map").greater_than(0),
    };
    kStudentOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.uses_training_data = true;
    info.method_traits.accepts_mixed_labels = true;  // label_cross_entropy
    return info;
  }

  explicit At(const dfkd::Options& o)
      : taps_(o.strings("taps")),
        beta_(o.real("beta")),
        gamma_(o.real("gamma")),
        p_(o.real("p")),
        optimizer_(kStudentOptimizer.read(o)) {
    if (taps_.empty())
      throw dfkd::ConfigError("at: option taps: expected at least one tap, found []");
    if (!(p_ > 0))
      throw dfkd::ConfigError(fmt::format("at: option p: expected a real > 0, found {}", p_));
  }

  void setup(dfkd::TrainContext& ctx) override {
    // Fail before training if a tap is missing or is not a feature map.
    const auto s = dfkd::probe_forward(ctx.student, ctx.data_shape, ctx.device);
    const auto t = dfkd::probe_forward(*ctx.teacher, ctx.data_shape, ctx.device);
    for (const auto& tap : taps_)
      for (const auto* out : {&s, &t}) {
        const auto& f = dfkd::tap_of(*out, tap, "at", out == &s ? "student" : "teacher");
        if (f.dim() != 4)
          throw dfkd::ConfigError(
              fmt::format("at: option taps: tap '{}' is [{}], expected a [B, C, H, W] feature map",
                          tap, fmt::join(f.sizes(), ", ")));
      }
    student_opt_ = &ctx.add_optimizer(
        "student", dfkd::make_optimizer(ctx.student.module().parameters(), optimizer_));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    auto f = dfkd::distill_forward(ctx, "at");
    auto ce = dfkd::label_cross_entropy(f.student.logits, f.batch);
    torch::Tensor at = torch::zeros({}, ce.options());
    for (const auto& tap : taps_)
      at = at + dfkd::losses::at_loss(f.student.feature(tap), f.teacher.feature(tap), p_);
    const double loss = dfkd::optimizer_step(gamma_ * ce + beta_ * at, {student_opt_});
    return {{"loss_student", loss},
            {"loss_ce", ce.item<double>()},
            {"loss_at", at.item<double>()},
            {"train_accuracy", dfkd::batch_accuracy(f.student.logits, f.batch)}};
  }

 private:
  std::vector<std::string> taps_;
  double beta_, gamma_, p_;
  dfkd::OptimizerSettings optimizer_;
  torch::optim::Optimizer* student_opt_ = nullptr;
};

}  // namespace dfkd_at

DFKD_PLUGIN(method, "at", "2.0.0", dfkd_at::At)
