// The SDK's training helpers (dfkd/training.hpp, TrainContext's regularizer hooks): collapse
// metrics with Python-computed values (math module only; the expression above each check),
// optimizer options by role, per-step metric means.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <dfkd/errors.hpp>
#include <dfkd/random.hpp>
#include <dfkd/training.hpp>

#include "support/golden_tensors.hpp"

namespace {

using golden::kF64;

}  // namespace

TEST(CollapseMetrics, EntropyAndTopClassOfArgmaxHistogram) {
  // argmax per row: 0, 0, 1, 2 -> histogram (1/2, 1/4, 1/4).
  // Python: -(0.5*math.log(0.5) + 2*0.25*math.log(0.25))  -> 1.0397207708399179
  const auto logits =
      torch::tensor({{3.0, 1.0, 0.0}, {2.0, -1.0, 1.0}, {0.0, 5.0, 1.0}, {0.1, 0.2, 0.3}}, kF64);
  auto m = dfkd::collapse_metrics(logits);
  EXPECT_NEAR(m.at("teacher_pred_entropy"), 1.0397207708399179, 1e-12);
  EXPECT_NEAR(m.at("teacher_top_class_fraction"), 0.5, 1e-15);
  // Python: math.log(3) -> 1.0986122886681098 (one sample per class)
  m = dfkd::collapse_metrics(torch::eye(3, kF64));
  EXPECT_NEAR(m.at("teacher_pred_entropy"), 1.0986122886681098, 1e-12);
  EXPECT_NEAR(m.at("teacher_top_class_fraction"), 1.0 / 3.0, 1e-15);
  // Collapse: every sample predicted as class 1, an empty class contributes 0.
  m = dfkd::collapse_metrics(torch::tensor({{0.0, 1.0, 0.0}, {0.0, 2.0, 1.0}}, kF64));
  EXPECT_NEAR(m.at("teacher_pred_entropy"), 0.0, 1e-15);
  EXPECT_NEAR(m.at("teacher_top_class_fraction"), 1.0, 1e-15);
}

// ---- optimizer options by role -----------------------------------------------------------------

namespace {
std::vector<std::string> names(const std::vector<dfkd::OptionSpec>& specs) {
  std::vector<std::string> out;
  for (const auto& s : specs) out.push_back(s.name);
  return out;
}
}  // namespace

TEST(OptimizerOptions, EveryRoleUsesTheSameKeys) {
  std::vector<dfkd::OptionSpec> specs;
  dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.1, 0.9, 5e-4)).declare(specs);
  dfkd::OptimizerOptions::adam("generator", dfkd::adam(1e-3, 0.5, 0.99)).declare(specs);
  EXPECT_EQ(names(specs),
            (std::vector<std::string>{"student_optimizer", "student_lr", "student_momentum",
                                      "student_weight_decay", "generator_lr", "generator_beta1",
                                      "generator_beta2"}));
  for (const auto& s : specs) EXPECT_FALSE(s.doc.empty()) << s.name;
}

TEST(OptimizerOptions, ReadsBackWhatTheRunSet) {
  const auto student = dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.1, 0.9, 5e-4));
  const auto generator = dfkd::OptimizerOptions::adam("generator", dfkd::adam(1e-3));
  std::vector<dfkd::OptionSpec> specs;
  student.declare(specs);
  generator.declare(specs);
  const dfkd::Options options(
      "p",
      dfkd::resolve_options(
          specs, {{"student_optimizer", "adam"}, {"student_lr", 0.02}, {"generator_beta1", 0.5}},
          "p"));
  const auto s = student.read(options);
  EXPECT_EQ(s.kind, "adam");
  EXPECT_DOUBLE_EQ(s.lr, 0.02);
  EXPECT_DOUBLE_EQ(s.momentum, 0.9);
  EXPECT_DOUBLE_EQ(s.weight_decay, 5e-4);
  const auto g = generator.read(options);
  EXPECT_EQ(g.kind, "adam");
  EXPECT_DOUBLE_EQ(g.lr, 1e-3);
  EXPECT_DOUBLE_EQ(g.beta1, 0.5);
  EXPECT_DOUBLE_EQ(g.beta2, 0.999);
  EXPECT_DOUBLE_EQ(g.weight_decay, 0.0);
}

TEST(OptimizerOptions, RangesAreDeclared) {
  std::vector<dfkd::OptionSpec> specs;
  dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.1, 0.9, 5e-4)).declare(specs);
  EXPECT_THROW(dfkd::resolve_options(specs, {{"student_lr", 0}}, "p"), dfkd::ConfigError);
  EXPECT_THROW(dfkd::resolve_options(specs, {{"student_momentum", 1.0}}, "p"), dfkd::ConfigError);
  EXPECT_THROW(dfkd::resolve_options(specs, {{"student_optimizer", "rmsprop"}}, "p"),
               dfkd::ConfigError);
}

TEST(MetricMeans, AveragesEachNameOverTheStepsThatLoggedIt) {
  dfkd::MetricMeans means;
  means.add({{"loss_student", 1.0}, {"reg_x", 0.5}});
  means.add({{"loss_student", 2.0}});
  means.add({{"loss_student", 6.0}, {"reg_x", 1.5}});
  const auto m = means.means();
  EXPECT_DOUBLE_EQ(m.at("loss_student"), 3.0);
  EXPECT_DOUBLE_EQ(m.at("reg_x"), 1.0);
  EXPECT_EQ(m.size(), 2u);
}

// ---- TrainContext's regularizer hooks ----------------------------------------------------------

namespace {

/// logits.sum() of the student on x (student stage) or x.sum() (generator stage), and what it saw.
class ProbeRegularizer : public dfkd::Regularizer {
 public:
  ProbeRegularizer(dfkd::RegularizerStage stage, bool* saw_grad)
      : stage_(stage), saw_grad_(saw_grad) {}
  dfkd::RegularizerStage stage() const override { return stage_; }
  torch::Tensor generator_term(const dfkd::GeneratorStepInputs& in) override { return in.x.sum(); }
  torch::Tensor student_term(const dfkd::StudentStepInputs& in) override {
    *saw_grad_ = in.x.requires_grad() || in.teacher.logits.requires_grad();
    return in.discrepancy(in.teacher.logits * 2.0, in.teacher.logits);
  }

 private:
  dfkd::RegularizerStage stage_;
  bool* saw_grad_;
};

class NoModel : public dfkd::Model {
 public:
  torch::nn::Module& module() override { return module_; }
  dfkd::ModelOutput forward(const torch::Tensor& x) override { return {x, {}}; }
  std::vector<std::string> taps() const override { return {}; }
  dfkd::ModelCost cost() const override { return {}; }

 private:
  torch::nn::Module module_;
};

}  // namespace

TEST(RegularizerHooks, ZeroWithoutRegularizers) {
  NoModel student;
  auto rng = dfkd::make_generator(1, "test/hooks");
  dfkd::TrainContext ctx(student, torch::kCPU, 2, rng);
  const auto x = torch::ones({2, 3}, kF64);
  dfkd::ModelOutput t{x, {}};
  dfkd::StepMetrics metrics;
  const auto g = ctx.generator_terms(x, t, t, metrics);
  const auto s = ctx.student_terms(
      x, t, [](auto a, auto b) { return (a - b).abs().mean(); }, metrics);
  EXPECT_EQ(g.dim(), 0);
  EXPECT_EQ(g.item<double>(), 0.0);
  EXPECT_EQ(s.item<double>(), 0.0);
  EXPECT_TRUE(metrics.empty());
}

TEST(RegularizerHooks, WeightedTermsLoggedAndStudentInputsDetached) {
  NoModel student;
  auto rng = dfkd::make_generator(1, "test/hooks");
  dfkd::TrainContext ctx(student, torch::kCPU, 2, rng);
  bool saw_grad = true;
  std::vector<dfkd::RegularizerSet::Entry> entries;
  entries.push_back(
      {"gen", 0.5,
       std::make_unique<ProbeRegularizer>(dfkd::RegularizerStage::Generator, &saw_grad)});
  entries.push_back(
      {"stu", -2.0,
       std::make_unique<ProbeRegularizer>(dfkd::RegularizerStage::Student, &saw_grad)});
  dfkd::RegularizerSet set(std::move(entries));
  ctx.regularizers = &set;

  // x = [[1, 2], [3, -4]] with a graph; teacher logits = x.
  const auto x = torch::tensor({{1.0, 2.0}, {3.0, -4.0}}, kF64).requires_grad_(true);
  dfkd::ModelOutput t{x * 1.0, {}};
  dfkd::StepMetrics metrics;
  // generator: 0.5 * sum(x) = 0.5 * 2 = 1
  const auto g = ctx.generator_terms(x, t, t, metrics);
  EXPECT_DOUBLE_EQ(g.item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(metrics.at("reg_gen"), 2.0);
  EXPECT_TRUE(g.requires_grad()) << "generator terms keep x's graph";
  // student: -2 * mean|2t - t| = -2 * (1+2+3+4)/4 = -5
  const auto s = ctx.student_terms(
      x, t, [](auto a, auto b) { return (a - b).abs().mean(); }, metrics);
  EXPECT_DOUBLE_EQ(s.item<double>(), -5.0);
  EXPECT_DOUBLE_EQ(metrics.at("reg_stu"), 2.5);
  EXPECT_FALSE(saw_grad) << "student terms see x and the teacher as constants";
}

TEST(LabelCrossEntropy, MixedLabelsWeightBothTerms) {
  // Row 0 logits [0, ln 3] -> softmax [1/4, 3/4]: CE(0) = ln 4 = 1.3862943611198906,
  // CE(1) = ln(4/3) = 0.2876820724517809. Row 1 logits [0, 0]: CE = ln 2 = 0.6931471805599453 for
  // either label.
  const auto logits = torch::tensor({{0.0, std::log(3.0)}, {0.0, 0.0}}, torch::kFloat64);
  dfkd::Batch b{torch::zeros({2, 1}), torch::tensor({0, 1}, torch::kLong)};
  // Unmixed: plain mean CE = (ln 4 + ln 2) / 2 = 1.039720770839918.
  EXPECT_NEAR(dfkd::label_cross_entropy(logits, b).item<double>(), 1.039720770839918, 1e-12);
  // Mixed, row 0: y 0 with weight 0.25, y_mix 1 with 0.75 -> 0.25 ln 4 + 0.75 ln(4/3)
  // = 0.34657359027997264 + 0.21576155433883568 = 0.5623351446188083; row 1: ln 2.
  // Mean = (0.5623351446188083 + 0.6931471805599453) / 2 = 0.6277411625893768.
  b.y_mix = torch::tensor({1, 0}, torch::kLong);
  b.y_weight = torch::tensor({0.25, 0.6}, torch::kFloat);
  EXPECT_NEAR(dfkd::label_cross_entropy(logits, b).item<double>(), 0.6277411625893768, 1e-7);
  // Accuracy against each sample's dominant label: row 0 -> y_mix 1 (argmax 1, right); row 1 ->
  // y 1 (argmax of a tie is 0, wrong): 0.5.
  EXPECT_DOUBLE_EQ(dfkd::batch_accuracy(logits, b), 0.5);
}
