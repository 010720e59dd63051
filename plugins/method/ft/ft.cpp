// FT (factor transfer) on the real training set. Pre-training stage "paraphraser": the
// paraphraser learns to reconstruct the teacher's feature map (L1). Main loop: CE(S(x), y) +
// beta * ft_factor_loss(translator(S tap), paraphraser.encode(T tap)), translator trained with S.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include <dfkd/sdk.hpp>

#include "ft_loss.hpp"

namespace dfkd_ft {

namespace {
const auto kStudentOptimizer = dfkd::OptimizerOptions::sgd_or_adam(
    "student", dfkd::sgd(0.05, 0.9, 5e-4), "the student and the translator");
const auto kParaphraserOptimizer =
    dfkd::OptimizerOptions::sgd_or_adam("paraphraser", dfkd::sgd(0.1, 0.9, 5e-4));
}  // namespace

class Ft : public dfkd::Method {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Factor transfer (Kim et al. 2018, official form) on real labelled data: paraphraser "
        "pre-trained on the teacher's map, then gamma * CE + beta * L1 of normalised factors";
    info.options = {
        dfkd::option_string("teacher_tap", "conv2",
                            "teacher feature map the paraphraser encodes (LeNet-5: conv2, 16x5x5; "
                            "ResNet: layer4, the last stage)"),
        dfkd::option_string("student_tap", "conv2", "student feature map the translator encodes"),
        dfkd::option_real("rate", 0.5, "paraphrase rate k: factor channels = round(k * C_teacher)")
            .greater_than(0)
            .at_most(64),
        dfkd::option_real("beta", 500.0, "weight of the factor loss (official: 500)").at_least(0),
        dfkd::option_real("gamma", 1.0, "weight of the cross-entropy with the true labels")
            .at_least(0),
        dfkd::option_int("paraphraser_epochs", 5,
                         "epochs (passes over the training set) of paraphraser pre-training")
            .at_least(0)
            .at_most(100000),
    };
    kStudentOptimizer.declare(info.options);
    kParaphraserOptimizer.declare(info.options);
    info.method_traits.needs_teacher = true;
    info.method_traits.uses_training_data = true;
    info.method_traits.accepts_mixed_labels = true;  // label_cross_entropy
    return info;
  }

  explicit Ft(const dfkd::Options& o)
      : teacher_tap_(o.string("teacher_tap")),
        student_tap_(o.string("student_tap")),
        rate_(o.real("rate")),
        beta_(o.real("beta")),
        gamma_(o.real("gamma")),
        paraphraser_epochs_(o.integer("paraphraser_epochs")),
        paraphraser_optimizer_(kParaphraserOptimizer.read(o)),
        optimizer_(kStudentOptimizer.read(o)) {
    if (paraphraser_epochs_ < 1)
      throw dfkd::ConfigError(
          fmt::format("ft: option paraphraser_epochs: expected an integer >= 1, found {}",
                      paraphraser_epochs_));
  }

  void setup(dfkd::TrainContext& ctx) override {
    const auto s = dfkd::probe_forward(ctx.student, ctx.data_shape, ctx.device);
    const auto t = dfkd::probe_forward(*ctx.teacher, ctx.data_shape, ctx.device);
    const auto& fs = dfkd::tap_of(s, student_tap_, "ft", "student");
    const auto& ft = dfkd::tap_of(t, teacher_tap_, "ft", "teacher");
    if (fs.dim() != 4 || ft.dim() != 4 || fs.size(2) != ft.size(2) || fs.size(3) != ft.size(3))
      throw dfkd::ConfigError(fmt::format(
          "ft: options student_tap '{}' [{}] and teacher_tap '{}' [{}]: expected two [B, C, H, W] "
          "maps of the same H and W",
          student_tap_, fmt::join(fs.sizes(), ", "), teacher_tap_, fmt::join(ft.sizes(), ", ")));
    const int64_t factor =
        std::max<int64_t>(1, std::lround(rate_ * static_cast<double>(ft.size(1))));
    paraphraser_ = dfkd::losses::Paraphraser(ft.size(1), factor);
    translator_ = dfkd::losses::make_translator(fs.size(1), factor);
    paraphraser_->to(ctx.device);
    translator_->to(ctx.device);
    ctx.add_module("paraphraser", paraphraser_.ptr());
    ctx.add_module("translator", translator_.ptr());
    student_opt_ = &ctx.add_optimizer(
        "student", dfkd::make_optimizer(ctx.student.module().parameters(), optimizer_));
    translator_opt_ = &ctx.add_optimizer(
        "translator", dfkd::make_optimizer(translator_->parameters(), optimizer_));
  }

  std::vector<dfkd::PretrainingStage> pretraining(dfkd::TrainContext&) override {
    paraphraser_opt_ = dfkd::make_optimizer(paraphraser_->parameters(), paraphraser_optimizer_);
    dfkd::PretrainingStage stage;
    stage.name = "paraphraser";
    stage.epochs = paraphraser_epochs_;
    stage.iteration = [this](dfkd::TrainContext& ctx) -> dfkd::StepMetrics {
      paraphraser_->train();
      torch::Tensor feature;
      {
        torch::NoGradGuard no_grad;
        feature = ctx.teacher->forward(ctx.train_data->next().x).feature(teacher_tap_);
      }
      auto recon = paraphraser_->decode(paraphraser_->encode(feature));
      auto loss = dfkd::losses::ft_paraphraser_loss(recon, feature);
      return {{"loss_reconstruction", dfkd::optimizer_step(loss, {paraphraser_opt_.get()})}};
    };
    return {stage};
  }

  dfkd::StepMetrics iteration(dfkd::TrainContext& ctx) override {
    translator_->train();
    paraphraser_->eval();
    auto f = dfkd::distill_forward(ctx, "ft");
    torch::Tensor teacher_factor;
    {
      torch::NoGradGuard no_grad;  // the paraphraser is frozen after pre-training
      teacher_factor = paraphraser_->encode(f.teacher.feature(teacher_tap_));
    }
    auto ce = dfkd::label_cross_entropy(f.student.logits, f.batch);
    auto factor = dfkd::losses::ft_factor_loss(
        translator_->forward(f.student.feature(student_tap_)), teacher_factor);
    const double loss =
        dfkd::optimizer_step(gamma_ * ce + beta_ * factor, {student_opt_, translator_opt_});
    return {{"loss_student", loss},
            {"loss_ce", ce.item<double>()},
            {"loss_factor", factor.item<double>()},
            {"train_accuracy", dfkd::batch_accuracy(f.student.logits, f.batch)}};
  }

 private:
  std::string teacher_tap_, student_tap_;
  double rate_, beta_, gamma_;
  int64_t paraphraser_epochs_;
  dfkd::OptimizerSettings paraphraser_optimizer_;
  dfkd::OptimizerSettings optimizer_;
  dfkd::losses::Paraphraser paraphraser_{nullptr};
  torch::nn::Sequential translator_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> paraphraser_opt_;
  torch::optim::Optimizer* student_opt_ = nullptr;
  torch::optim::Optimizer* translator_opt_ = nullptr;
};

}  // namespace dfkd_ft

DFKD_PLUGIN(method, "ft", "2.0.0", dfkd_ft::Ft)
