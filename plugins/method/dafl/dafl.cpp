// DAFL (Chen et al. 2019), the paper's DFL row: one joint step per iteration. The generator
// minimises ie * L_ie plus its regularizers (in Table 1: activation_logit = L_oh and
// activation_feature with normalize = L_a, composed in the experiment JSON); the student minimises
// KL(T || S) on the detached generated batch. One backward, both optimizers step.
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "dafl_loss.hpp"

namespace dfkd_dafl {

namespace {
const auto kStudentOptimizer = dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::adam(2e-3));
// DAFL's generator learning rate: MNIST 0.2, CIFAR 0.02.
const auto kGeneratorOptimizer = dfkd::OptimizerOptions::adam("generator", dfkd::adam(0.2));
}  // namespace

class Dafl : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "DAFL (Chen et al. 2019): generator trained with the teacher alone (information entropy "
        "here; one-hot and activation terms as regularizers), student with KL(T || S), one joint "
        "step; defaults are DAFL's MNIST settings (generator_lr 0.2; CIFAR 0.02)";
    info.options = {
        dfkd::option_real("info_entropy_weight", 5.0,
                          "weight ie of the information-entropy term (MNIST 5, CIFAR-100 20)")
            .at_least(0),
    };
    kStudentOptimizer.declare(info.options);
    kGeneratorOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.needs_generator = true;
    info.method_traits.accepts_regularizers = true;
    return info;
  }

  explicit Dafl(const dfkd::Options& o)
      : ie_(o.real("info_entropy_weight")),
        generator_optimizer_(kGeneratorOptimizer.read(o)),
        student_optimizer_(kStudentOptimizer.read(o)) {}

  void setup(dfkd::TrainContext& ctx) override {
    optimizers_ = dfkd::add_data_free_optimizers(ctx, student_optimizer_, generator_optimizer_,
                                                 "dafl", dfkd::TrainContext::Schedule::Exempt);
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    ctx.student.module().train();
    ctx.generator->module().train();

    // x keeps its graph for the generator's terms; the student sees it detached, so the two
    // losses' gradients never mix although one backward computes both.
    const auto x = ctx.generator->forward(
        dfkd::sample_latent(*ctx.generator, ctx.batch_size, ctx.rng, ctx.device));
    const auto t = ctx.teacher->forward(x);
    const auto s = ctx.student.forward(x.detach());

    dfkd::StepMetrics metrics = dfkd::collapse_metrics(t.logits);
    const auto info_entropy = dfkd::losses::dafl_information_entropy(t.logits);
    const auto loss_generator = ie_ * info_entropy + ctx.generator_terms(x, t, s, metrics);
    const auto loss_student = dfkd::losses::dafl_student_loss(s.logits, t.logits) +
                              ctx.student_terms(x, t, &dfkd::losses::dafl_student_loss, metrics);
    metrics["loss_generator"] = loss_generator.item<double>();
    metrics["loss_student"] = loss_student.item<double>();
    metrics["info_entropy"] = info_entropy.item<double>();
    dfkd::optimizer_step(loss_generator + loss_student,
                         {optimizers_.generator, optimizers_.student});
    return metrics;
  }

 private:
  double ie_;
  dfkd::OptimizerSettings generator_optimizer_;
  dfkd::OptimizerSettings student_optimizer_;
  dfkd::DataFreeOptimizers optimizers_;
};

}  // namespace dfkd_dafl

DFKD_PLUGIN(method, "dafl", "2.1.0", dfkd_dafl::Dafl)
