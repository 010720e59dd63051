// Knowledge Representing (Liu et al. 2019) on the real training set. Each iteration, on one batch:
//   1. aggregator step: K (the student's topology, started from the student's initial weights)
//      learns the teacher's features through 1x1 adapters: lambda * aggregator_loss (eq. 9);
//   2. student step: gamma_ce * CE [+ kd_weight * KD] + gamma * sum over taps of the penalty
//      toward K's features after its step (eq. 10; Ψ by default).
// gamma is a plain weight: the step-0 balance rule (as fd's beta) is degenerate here, since K
// starts as a copy of the student and their residual is ~0 on the first batch (it gave gamma in
// the thousands and diverged). See docs/methods.md for what is reconstructed.
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "fd_loss.hpp"
#include "kd_loss.hpp"
#include "kr_loss.hpp"

namespace dfkd_kr {

namespace {
const auto kStudentOptimizer =
    dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.01, 0.9, 1e-5));
const auto kAggregatorOptimizer = dfkd::OptimizerOptions::sgd_or_adam(
    "aggregator", dfkd::sgd(0.1, 0.9, 1e-5), "the aggregator network and its adapters");

}  // namespace

class KnowledgeRepresenting : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Knowledge Representing (Liu et al. 2019): an aggregator of the student's topology learns "
        "the teacher's features through 1x1 adapters; the student follows the aggregator's "
        "features under a sparse recoding penalty that ignores residuals below tau";
    info.options = {
        dfkd::option_strings("taps", {"conv1", "conv2", "conv3"},
                             "student (= aggregator) taps the penalty compares")
            .non_empty(),
        dfkd::option_strings("teacher_taps", {"conv1", "conv2", "conv3"},
                             "teacher taps the aggregator learns, one per entry of `taps` (the "
                             "paper merges every n teacher layers into one: list the n-th ones)")
            .non_empty(),
        dfkd::option_string("penalty", "psi",
                            "psi (sparse recoding: 0 up to tau, kappa·(|r| − tau) above), l1, or "
                            "l2 (KR without Ψ)",
                            {"psi", "l1", "l2"}),
        dfkd::option_real("kappa", 1.0, "slope of Ψ above tau").at_least(1.0),
        dfkd::option_real("tau", -1.0,
                          "Ψ's threshold; < 0 = the mean |residual| of each tap, recomputed each "
                          "step (a learnable tau would be driven to max|r| by the student's loss, "
                          "which Ψ only lowers)"),
        dfkd::option_real("lambda", 1.0, "weight of the aggregator's loss").greater_than(0),
        dfkd::option_real("gamma", 1.0,
                          "weight of the penalty (unpublished; K starts as the student, so the "
                          "first batch's residual cannot set it)")
            .greater_than(0),
        dfkd::option_real("gamma_ce", 1.0, "weight of the cross-entropy with the true labels")
            .at_least(0),
        dfkd::option_real("kd_weight", 0.0, "weight of Hinton's KD term (the KR + KD row)")
            .at_least(0),
        dfkd::option_real("kd_temperature", 4.0, "temperature T of the KD term").greater_than(0),
    };
    kStudentOptimizer.declare(info.options);
    kAggregatorOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.uses_training_data = true;
    info.method_traits.accepts_mixed_labels = true;  // label_cross_entropy
    return info;
  }

  explicit KnowledgeRepresenting(const dfkd::Options& o)
      : taps_(o.strings("taps")),
        teacher_taps_(o.strings("teacher_taps")),
        penalty_(o.string("penalty")),
        kappa_(o.real("kappa")),
        tau_(o.real("tau")),
        lambda_(o.real("lambda")),
        gamma_(o.real("gamma")),
        gamma_ce_(o.real("gamma_ce")),
        kd_weight_(o.real("kd_weight")),
        kd_temperature_(o.real("kd_temperature")),
        student_settings_(kStudentOptimizer.read(o)),
        aggregator_settings_(kAggregatorOptimizer.read(o)) {
    if (taps_.size() != teacher_taps_.size())
      throw dfkd::ConfigError(
          fmt::format("kr: options taps ({}) and teacher_taps ({}) must pair up one to one",
                      taps_.size(), teacher_taps_.size()));
  }

  void setup(dfkd::TrainContext& ctx) override {
    if (!ctx.make_student)
      throw std::logic_error("kr: setup: the context cannot build a second student network");
    aggregator_ = ctx.make_student();
    {  // K starts from the student's initial weights (the paper's choice).
      torch::NoGradGuard no_grad;
      auto from = ctx.student.module().named_parameters();
      for (auto& p : aggregator_->module().named_parameters()) p.value().copy_(from[p.key()]);
      auto from_buffers = ctx.student.module().named_buffers();
      for (auto& b : aggregator_->module().named_buffers()) b.value().copy_(from_buffers[b.key()]);
    }
    const auto k = dfkd::probe_forward(*aggregator_, ctx.data_shape, ctx.device);
    const auto t = dfkd::probe_forward(*ctx.teacher, ctx.data_shape, ctx.device);
    adapters_ = torch::nn::ModuleList();
    for (size_t l = 0; l < taps_.size(); ++l) {
      const auto ks = dfkd::tap_of(k, taps_[l], "kr", "aggregator").sizes().slice(1).vec();
      const auto ts = dfkd::tap_of(t, teacher_taps_[l], "kr", "teacher").sizes().slice(1).vec();
      try {
        adapters_->push_back(dfkd::losses::make_fd_regressor(ks, ts, "conv"));
      } catch (const std::invalid_argument& e) {
        throw dfkd::ConfigError(fmt::format("kr: taps '{}' and teacher_taps '{}': {}", taps_[l],
                                            teacher_taps_[l], e.what()));
      }
    }
    adapters_->to(ctx.device);
    // The method owns the aggregator; the host only needs its parameters for checkpoints, so it
    // gets a non-owning pointer (aliasing constructor, empty owner).
    ctx.add_module("aggregator", std::shared_ptr<torch::nn::Module>(
                                     std::shared_ptr<torch::nn::Module>(), &aggregator_->module()));
    ctx.add_module("adapters", adapters_.ptr());
    auto kparams = aggregator_->module().parameters();
    for (auto& p : adapters_->parameters()) kparams.push_back(p);
    aggregator_opt_ =
        &ctx.add_optimizer("aggregator", dfkd::make_optimizer(kparams, aggregator_settings_));
    student_opt_ = &ctx.add_optimizer(
        "student", dfkd::make_optimizer(ctx.student.module().parameters(), student_settings_));
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    auto f = dfkd::distill_forward(ctx, "kr");
    dfkd::StepMetrics metrics;
    // 1. The aggregator learns the teacher's features.
    aggregator_->module().train();
    adapters_->train();
    const auto k = aggregator_->forward(f.batch.x.detach());
    std::vector<torch::Tensor> adapted, teacher;
    for (size_t l = 0; l < taps_.size(); ++l) {
      adapted.push_back(adapters_[l]->as<torch::nn::Sequential>()->forward(k.feature(taps_[l])));
      teacher.push_back(f.teacher.feature(teacher_taps_[l]));
    }
    metrics["loss_aggregator"] = dfkd::optimizer_step(
        lambda_ * dfkd::losses::aggregator_loss(adapted, teacher), {aggregator_opt_});
    // 2. The student follows the aggregator's features after that step.
    dfkd::ModelOutput target;
    {
      torch::NoGradGuard no_grad;
      target = aggregator_->forward(f.batch.x);
    }
    auto penalty = torch::zeros({}, f.student.logits.options());
    for (const auto& tap : taps_)
      penalty = penalty + dfkd::losses::kr_penalty(f.student.feature(tap), target.feature(tap),
                                                   penalty_, kappa_, tau_);
    auto label = gamma_ce_ * dfkd::label_cross_entropy(f.student.logits, f.batch);
    if (kd_weight_ > 0)
      label = label + kd_weight_ * dfkd::losses::kd_loss(f.student.logits, f.teacher.logits,
                                                         kd_temperature_);
    metrics["loss_label"] = label.item<double>();
    metrics["loss_kr"] = penalty.item<double>();
    metrics["loss_student"] = dfkd::optimizer_step(label + gamma_ * penalty, {student_opt_});
    metrics["train_accuracy"] = dfkd::batch_accuracy(f.student.logits, f.batch);
    return metrics;
  }

 private:
  std::vector<std::string> taps_, teacher_taps_;
  std::string penalty_;
  double kappa_, tau_, lambda_, gamma_, gamma_ce_, kd_weight_, kd_temperature_;
  dfkd::OptimizerSettings student_settings_, aggregator_settings_;
  std::unique_ptr<dfkd::Model> aggregator_;
  torch::nn::ModuleList adapters_{nullptr};
  torch::optim::Optimizer* aggregator_opt_ = nullptr;
  torch::optim::Optimizer* student_opt_ = nullptr;
};

}  // namespace dfkd_kr

DFKD_PLUGIN(method, "kr", "1.0.0", dfkd_kr::KnowledgeRepresenting)
