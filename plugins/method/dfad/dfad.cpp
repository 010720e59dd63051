// DFAD (Fang et al. 2019): a generator maximises the student-teacher L1 discrepancy while the
// student minimises it; k student steps per generator step, a new z for every step.
#include <dfkd/sdk.hpp>

#include "dfad_loss.hpp"

namespace dfkd_dfad {

namespace {

void add_to(std::map<std::string, double>& sum, const std::map<std::string, double>& terms) {
  for (const auto& [name, value] : terms) sum[name] += value;
}

}  // namespace

class Dfad : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Data-free adversarial distillation (DFAD): L1 logit discrepancy, generator "
        "maximises it, student minimises it";
    info.options = {
        dfkd::option_int("student_steps", 5, "student steps per generator step").at_least(1).at_most(10000),
        dfkd::option_string("student_optimizer", "sgd", "optimizer of the student",
                            {"sgd", "adam"}),
        dfkd::option_real("lr_student", 0.1, "learning rate of the student").greater_than(0),
        dfkd::option_real("momentum", 0.9, "SGD momentum of the student (unused by adam)")
            .at_least(0)
            .less_than(1),
        dfkd::option_real("weight_decay", 5e-4, "L2 weight decay of the student").at_least(0),
        dfkd::option_real("lr_generator", 1e-3, "Adam learning rate of the generator").greater_than(0),
        dfkd::option_real("generator_beta1", 0.9, "Adam beta1 of the generator").at_least(0).less_than(1),
        dfkd::option_real("generator_beta2", 0.999, "Adam beta2 of the generator").at_least(0).less_than(1),
        dfkd::option_real("plain_weight", 1.0,
                          "weight of the plain student term D(S(x), T(x)); 0 with a "
                          "virtual_interpolation regularizer makes the mixed term replace it "
                          "(docs/methods.md section 4)")
            .at_least(0),
    };
    info.method_traits.needs_teacher = true;
    info.method_traits.needs_generator = true;
    info.method_traits.accepts_regularizers = true;
    return info;
  }

  explicit Dfad(const dfkd::Options& o)
      : student_steps_(o.integer("student_steps")),
        plain_weight_(o.real("plain_weight")),
        student_optimizer_{o.string("student_optimizer"), o.real("lr_student"), o.real("momentum"),
                           o.real("weight_decay")},
        generator_optimizer_{"adam", o.real("lr_generator"), 0.0, 0.0, o.real("generator_beta1"),
                             o.real("generator_beta2")} {
    if (student_steps_ < 1)
      throw dfkd::ConfigError("dfad: option student_steps: expected an integer >= 1, found " +
                              std::to_string(student_steps_));
  }

  void setup(dfkd::TrainContext& ctx) override {
    optimizers_ =
        dfkd::add_data_free_optimizers(ctx, student_optimizer_, generator_optimizer_, "dfad");
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    dfkd::Model& student = ctx.student;
    dfkd::Model& teacher = *ctx.teacher;
    dfkd::Generator& generator = *ctx.generator;
    // DFAD keeps G in train mode during student steps too (its BN uses batch statistics).
    student.module().train();
    generator.module().train();
    const dfkd::Discrepancy discrepancy = &dfkd::losses::dfad_discrepancy;
    const bool student_regs =
        ctx.regularizers && ctx.regularizers->has(dfkd::RegularizerStage::Student);

    dfkd::StepMetrics metrics;
    std::map<std::string, double> student_reg_sum;
    double student_loss_sum = 0.0;
    double student_plain_sum = 0.0;
    for (int64_t k = 0; k < student_steps_; ++k) {
      torch::Tensor x;
      dfkd::ModelOutput t;
      {
        torch::NoGradGuard no_grad;
        x = generator.forward(dfkd::sample_latent(generator, ctx.batch_size, ctx.rng, ctx.device));
        t = teacher.forward(x);
      }
      auto s = student.forward(x);
      auto plain = dfkd::losses::dfad_discrepancy(s.logits, t.logits);
      student_plain_sum += plain.item<double>();
      auto loss = plain_weight_ * plain;
      if (student_regs) {
        std::map<std::string, double> log;
        loss = loss + ctx.regularizers->student_loss(
                          {x, t, student, discrepancy, ctx.rng, &teacher, &generator}, log);
        add_to(student_reg_sum, log);
      }
      optimizers_.student->zero_grad();
      loss.backward();
      optimizers_.student->step();
      student_loss_sum += loss.item<double>();
    }
    metrics["loss_student"] = student_loss_sum / static_cast<double>(student_steps_);
    metrics["student_discrepancy"] = student_plain_sum / static_cast<double>(student_steps_);
    for (const auto& [name, value] : student_reg_sum)
      metrics[name] = value / static_cast<double>(student_steps_);

    // Generator step: gradients reach x through both networks; only G's parameters update.
    auto x = generator.forward(dfkd::sample_latent(generator, ctx.batch_size, ctx.rng, ctx.device));
    auto t = teacher.forward(x);
    dfkd::ModelOutput s;
    {
      dfkd::FrozenParameters frozen(student.module());
      s = student.forward(x);
    }
    auto loss = dfkd::losses::dfad_generator_loss(s.logits, t.logits);
    metrics["discrepancy"] = -loss.item<double>();
    if (ctx.regularizers && ctx.regularizers->has(dfkd::RegularizerStage::Generator)) {
      std::map<std::string, double> log;
      loss = loss + ctx.regularizers->generator_loss({x, t, s}, log);
      for (const auto& [name, value] : log) metrics[name] = value;
    }
    optimizers_.generator->zero_grad();
    loss.backward();
    optimizers_.generator->step();
    metrics["loss_generator"] = loss.item<double>();
    for (const auto& [name, value] : dfkd::collapse_metrics(t.logits)) metrics[name] = value;
    return metrics;
  }

 private:
  int64_t student_steps_;
  double plain_weight_;
  dfkd::OptimizerSettings student_optimizer_;
  dfkd::OptimizerSettings generator_optimizer_;
  dfkd::DataFreeOptimizers optimizers_;
};

}  // namespace dfkd_dfad

DFKD_PLUGIN(method, "dfad", "1.0.0", dfkd_dfad::Dfad)
