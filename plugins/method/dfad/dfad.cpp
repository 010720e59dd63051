// DFAD (Fang et al. 2019): a generator maximises the student-teacher L1 discrepancy while the
// student minimises it; k student steps per generator step, a new z for every step.
#include <dfkd/sdk.hpp>

#include "dfad_loss.hpp"

namespace dfkd_dfad {

namespace {
const auto kStudentOptimizer =
    dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.1, 0.9, 5e-4));
const auto kGeneratorOptimizer = dfkd::OptimizerOptions::adam("generator", dfkd::adam(1e-3));
}  // namespace

class Dfad : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Data-free adversarial distillation (DFAD): L1 logit discrepancy, generator "
        "maximises it, student minimises it. Optimizer defaults are DFAD's CIFAR settings "
        "(student SGD 0.1, wd 5e-4); its MNIST settings are student_lr 0.01, "
        "student_weight_decay 1e-4 (docs/methods.md section 4): state them per column";
    info.options = {
        dfkd::option_int("student_steps", 5, "student steps per generator step")
            .at_least(1)
            .at_most(10000),
        dfkd::option_real("plain_weight", 1.0,
                          "weight of the plain student term D(S(x), T(x)); 0 with a "
                          "virtual_interpolation regularizer makes the mixed term replace it "
                          "(docs/methods.md section 4)")
            .at_least(0),
    };
    kStudentOptimizer.declare(info.options);
    kGeneratorOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.needs_generator = true;
    info.method_traits.accepts_regularizers = true;
    return info;
  }

  explicit Dfad(const dfkd::Options& o)
      : student_steps_(o.integer("student_steps")),
        plain_weight_(o.real("plain_weight")),
        student_optimizer_(kStudentOptimizer.read(o)),
        generator_optimizer_(kGeneratorOptimizer.read(o)) {}

  void setup(dfkd::TrainContext& ctx) override {
    optimizers_ =
        dfkd::add_data_free_optimizers(ctx, student_optimizer_, generator_optimizer_, "dfad");
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    // DFAD keeps G in train mode during student steps too (its BN uses batch statistics).
    ctx.student.module().train();
    ctx.generator->module().train();
    dfkd::MetricMeans student_means;
    for (int64_t k = 0; k < student_steps_; ++k) student_means.add(student_step(ctx));
    dfkd::StepMetrics metrics = student_means.means();
    for (const auto& [name, value] : generator_step(ctx)) metrics[name] = value;
    return metrics;
  }

 private:
  // The student minimises D(S(x), T(x)) on a fresh generated batch; G and T are constants here.
  dfkd::StepMetrics student_step(dfkd::TrainContext& ctx) {
    torch::Tensor x;
    dfkd::ModelOutput t;
    {
      torch::NoGradGuard no_grad;
      x = ctx.generator->forward(
          dfkd::sample_latent(*ctx.generator, ctx.batch_size, ctx.rng, ctx.device));
      t = ctx.teacher->forward(x);
    }
    const auto s = ctx.student.forward(x);
    const auto plain = dfkd::losses::dfad_discrepancy(s.logits, t.logits);
    dfkd::StepMetrics step;
    const auto loss =
        plain_weight_ * plain + ctx.student_terms(x, t, &dfkd::losses::dfad_discrepancy, step);
    step["student_discrepancy"] = plain.item<double>();
    step["loss_student"] = dfkd::optimizer_step(loss, {optimizers_.student});
    return step;
  }

  // The generator maximises the discrepancy: gradients reach x through both networks; only G's
  // parameters update (the student's are frozen for this pass).
  dfkd::StepMetrics generator_step(dfkd::TrainContext& ctx) {
    const auto x = ctx.generator->forward(
        dfkd::sample_latent(*ctx.generator, ctx.batch_size, ctx.rng, ctx.device));
    const auto t = ctx.teacher->forward(x);
    dfkd::ModelOutput s;
    {
      dfkd::FrozenParameters frozen(ctx.student.module());
      s = ctx.student.forward(x);
    }
    const auto adversarial = dfkd::losses::dfad_generator_loss(s.logits, t.logits);
    dfkd::StepMetrics metrics = dfkd::collapse_metrics(t.logits);
    metrics["discrepancy"] = -adversarial.item<double>();
    const auto loss = adversarial + ctx.generator_terms(x, t, s, metrics);
    metrics["loss_generator"] = dfkd::optimizer_step(loss, {optimizers_.generator});
    return metrics;
  }

  int64_t student_steps_;
  double plain_weight_;
  dfkd::OptimizerSettings student_optimizer_;
  dfkd::OptimizerSettings generator_optimizer_;
  dfkd::DataFreeOptimizers optimizers_;
};

}  // namespace dfkd_dfad

DFKD_PLUGIN(method, "dfad", "2.0.0", dfkd_dfad::Dfad)
