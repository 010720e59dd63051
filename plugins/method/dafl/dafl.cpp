// DAFL (Chen et al. 2019), the paper's DFL row: one joint step per iteration. The generator
// minimises ie * L_ie plus its regularizers (in Table 1: activation_logit = L_oh and
// activation_feature with normalize = L_a, composed in the experiment JSON); the student minimises
// KL(T || S) on the detached generated batch. One backward, both optimizers step.
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "dafl_loss.hpp"

namespace dfkd_dafl {

class Dafl : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "DAFL (Chen et al. 2019): generator trained with the teacher alone (information entropy "
        "here; one-hot and activation terms as regularizers), student with KL(T || S), one joint "
        "step; defaults are DAFL's MNIST settings";
    info.options = {
        dfkd::option_real("info_entropy_weight", 5.0,
                          "weight ie of the information-entropy term (MNIST 5, CIFAR-100 20)")
            .at_least(0),
        dfkd::option_real("lr_generator", 0.2, "Adam learning rate of the generator (MNIST 0.2, CIFAR 0.02)")
            .greater_than(0),
    };
    for (auto& o : dfkd::optimizer_options("student_", {"adam", 2e-3, 0.9, 0.0}, "the student"))
      info.options.push_back(std::move(o));
    info.method_traits.needs_teacher = true;
    info.method_traits.needs_generator = true;
    info.method_traits.accepts_regularizers = true;
    return info;
  }

  explicit Dafl(const dfkd::Options& o)
      : ie_(o.real("info_entropy_weight")),
        generator_optimizer_{"adam", o.real("lr_generator"), 0.0, 0.0},
        student_optimizer_(dfkd::optimizer_settings(o, "student_")) {}

  void setup(dfkd::TrainContext& ctx) override {
    optimizers_ =
        dfkd::add_data_free_optimizers(ctx, student_optimizer_, generator_optimizer_, "dafl");
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    dfkd::Model& student = ctx.student;
    dfkd::Generator& generator = *ctx.generator;
    student.module().train();
    generator.module().train();

    // x keeps its graph for the generator's terms; the student sees it detached, so the two
    // losses' gradients never mix although one backward computes both.
    auto x = generator.forward(dfkd::sample_latent(generator, ctx.batch_size, ctx.rng, ctx.device));
    const auto t = ctx.teacher->forward(x);
    const auto x_student = x.detach();
    const auto s = student.forward(x_student);

    dfkd::StepMetrics metrics;
    auto info_entropy = dfkd::losses::dafl_information_entropy(t.logits);
    auto loss_generator = ie_ * info_entropy;
    if (ctx.regularizers && ctx.regularizers->has(dfkd::RegularizerStage::Generator)) {
      std::map<std::string, double> log;
      loss_generator = loss_generator + ctx.regularizers->generator_loss({x, t, s}, log);
      for (const auto& [name, value] : log) metrics[name] = value;
    }
    auto loss_student = dfkd::losses::dafl_student_loss(s.logits, t.logits);
    if (ctx.regularizers && ctx.regularizers->has(dfkd::RegularizerStage::Student)) {
      dfkd::ModelOutput t_const;  // student terms see the teacher as constants
      t_const.logits = t.logits.detach();
      for (const auto& [name, f] : t.features) t_const.features[name] = f.detach();
      const dfkd::Discrepancy kl = &dfkd::losses::dafl_student_loss;
      std::map<std::string, double> log;
      loss_student = loss_student + ctx.regularizers->student_loss(
                                        {x_student, t_const, student, kl, ctx.rng, ctx.teacher, &generator}, log);
      for (const auto& [name, value] : log) metrics[name] = value;
    }
    metrics["loss_generator"] = loss_generator.item<double>();
    metrics["loss_student"] = loss_student.item<double>();
    metrics["info_entropy"] = info_entropy.item<double>();
    dfkd::optimizer_step(loss_generator + loss_student,
                         {optimizers_.generator, optimizers_.student});
    for (const auto& [name, value] : dfkd::collapse_metrics(t.logits)) metrics[name] = value;
    return metrics;
  }

 private:
  double ie_;
  dfkd::OptimizerSettings generator_optimizer_;
  dfkd::OptimizerSettings student_optimizer_;
  dfkd::DataFreeOptimizers optimizers_;
};

}  // namespace dfkd_dafl

DFKD_PLUGIN(method, "dafl", "1.0.0", dfkd_dafl::Dafl)
