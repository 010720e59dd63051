// Golden-value tests of the loss maths of the dfad method and the activation_logit,
// activation_feature and virtual_interpolation regularizers. Every expected number was computed
// independently with plain Python (math module only); the expression sits above each check.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <dfkd/random.hpp>
#include <dfkd/training.hpp>

#include "activation_feature_loss.hpp"
#include "golden_tensors.hpp"
#include "activation_logit_loss.hpp"
#include "dfad_loss.hpp"
#include "virtual_interpolation_loss.hpp"

namespace {

using golden::expect_tensor_near;
using golden::inputs;
using golden::kF64;
using golden::student_logits;
using golden::teacher_logits;

// Python: perm = [2, 0, 1]
torch::Tensor permutation() { return torch::tensor({2, 0, 1}, torch::kLong); }

/// Student with fixed weights: logits = x W + b, W = [[0.5,-1,0.25,2],[1.5,0,-0.5,1]],
/// b = [0.1,-0.2,0.3,0].
class LinearStudent : public dfkd::Model {
 public:
  LinearStudent() : linear_(torch::nn::LinearOptions(2, 4)) {
    torch::NoGradGuard no_grad;
    linear_->to(torch::kFloat64);
    linear_->weight.copy_(torch::tensor({{0.5, -1.0, 0.25, 2.0}, {1.5, 0.0, -0.5, 1.0}}, kF64).t());
    linear_->bias.copy_(torch::tensor({0.1, -0.2, 0.3, 0.0}, kF64));
  }
  torch::nn::Module& module() override { return *linear_; }
  dfkd::ModelOutput forward(const torch::Tensor& x) override {
    dfkd::ModelOutput out;
    out.logits = linear_->forward(x);
    return out;
  }
  std::vector<std::string> taps() const override { return {}; }
  dfkd::ModelCost cost() const override { return {}; }

 private:
  torch::nn::Linear linear_;
};

}  // namespace

// ---- DFAD ------------------------------------------------------------------------------------

TEST(DfadLoss, DiscrepancyIsMeanAbsoluteDifference) {
  // Python: sum(abs(a-b) for r1,r2 in zip(s,t) for a,b in zip(r1,r2)) / 12  -> 0.7166666666666667
  const auto d = dfkd::losses::dfad_discrepancy(student_logits(), teacher_logits());
  EXPECT_EQ(d.dim(), 0);
  EXPECT_NEAR(d.item<double>(), 0.7166666666666667, 1e-12);
  EXPECT_NEAR(dfkd::losses::dfad_discrepancy(teacher_logits(), teacher_logits()).item<double>(),
              0.0, 1e-15);
}

TEST(DfadLoss, GeneratorLossIsNegativeDiscrepancy) {
  // Python: -0.7166666666666667 (see above)
  EXPECT_NEAR(dfkd::losses::dfad_generator_loss(student_logits(), teacher_logits()).item<double>(),
              -0.7166666666666667, 1e-12);
}

TEST(DfadLoss, GeneratorDescentIncreasesDiscrepancy) {
  // Student and teacher as fixed linear maps of x; the generator moves x along -grad of its loss.
  const auto ws = torch::tensor({{0.5, -1.0, 0.25, 2.0}, {1.5, 0.0, -0.5, 1.0}}, kF64);
  const auto wt = torch::tensor({{1.0, 0.5, -0.5, 1.0}, {0.5, 1.0, 0.5, -1.0}}, kF64);
  auto x = inputs().requires_grad_(true);
  auto loss = dfkd::losses::dfad_generator_loss(x.mm(ws), x.mm(wt));
  loss.backward();
  ASSERT_GT(x.grad().abs().sum().item<double>(), 0.0);

  torch::NoGradGuard no_grad;
  const auto moved = x - 1e-3 * x.grad();
  const double d_before = dfkd::losses::dfad_discrepancy(x.mm(ws), x.mm(wt)).item<double>();
  const double d_after = dfkd::losses::dfad_discrepancy(moved.mm(ws), moved.mm(wt)).item<double>();
  EXPECT_LT(dfkd::losses::dfad_generator_loss(moved.mm(ws), moved.mm(wt)).item<double>(),
            loss.item<double>());
  EXPECT_GT(d_after, d_before) << "the generator step must maximise the discrepancy";
}

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

// ---- activation_logit (R_l, eq. 2) -------------------------------------------------------------

TEST(ActivationLogit, CrossEntropyAgainstOwnArgmax) {
  // Python: sum(math.log(sum(math.exp(v) for v in r)) - max(r) for r in t) / 3
  //         -> 0.6566866140350763
  EXPECT_NEAR(dfkd::losses::activation_logit(teacher_logits()).item<double>(), 0.6566866140350763,
              1e-12);
}

TEST(ActivationLogit, GradientPushesMaxLogitUp) {
  auto logits = teacher_logits().requires_grad_(true);
  auto r = dfkd::losses::activation_logit(logits);
  r.backward();
  // (softmax(t_b) - onehot(argmax t_b)) / 3 per element. Python:
  //   z = sum(math.exp(v) for v in r); (math.exp(v)/z - (k == r.index(max(r)))) / 3
  const auto expected = torch::tensor(
      {{0.1092515199403077, 0.024377309140740235, -0.19989322554505073, 0.06626439646400276},
       {0.013814172287616234, 0.030744005819336354, 0.011310087680189027, -0.05586826578714162},
       {-0.19383936816066713, 0.06927065307233675, 0.11420799915565079, 0.010360715932679591}},
      kF64);
  expect_tensor_near(logits.grad(), expected, 1e-12);

  const auto argmax = logits.detach().argmax(1);
  const auto max_grad = logits.grad().gather(1, argmax.unsqueeze(1));
  EXPECT_TRUE((max_grad < 0).all().item<bool>()) << "descent must raise the max logit";
  torch::NoGradGuard no_grad;
  const auto moved = logits - 0.1 * logits.grad();
  EXPECT_TRUE((moved.gather(1, argmax.unsqueeze(1)) > logits.gather(1, argmax.unsqueeze(1)))
                  .all()
                  .item<bool>());
  EXPECT_LT(dfkd::losses::activation_logit(moved).item<double>(), r.item<double>());
}

// ---- activation_feature (R_m, eq. 3) -----------------------------------------------------------

namespace {
// Python: f = [[0.0,1.5,0.2,3.0,0.0],[0.7,0.0,0.0,2.1,0.4],[1.1,0.3,0.9,0.0,-0.5]]
torch::Tensor features() {
  return torch::tensor(
      {{0.0, 1.5, 0.2, 3.0, 0.0}, {0.7, 0.0, 0.0, 2.1, 0.4}, {1.1, 0.3, 0.9, 0.0, -0.5}}, kF64);
}
}  // namespace

TEST(ActivationFeature, NegativeMeanL1NormPerSample) {
  // Python: S = sum(abs(v) for r in f for v in r); -S/3  -> -3.566666666666667
  EXPECT_NEAR(dfkd::losses::activation_feature(features(), false).item<double>(),
              -3.566666666666667, 1e-12);
}

TEST(ActivationFeature, NormalizedIsNegativeMeanAbs) {
  // Python: -S/15  -> -0.7133333333333334
  EXPECT_NEAR(dfkd::losses::activation_feature(features(), true).item<double>(),
              -0.7133333333333334, 1e-12);
}

TEST(ActivationFeature, FlattensEachSample) {
  // A [B, C, H, W] map gives the same value as its [B, C*H*W] flattening.
  const auto map = features().reshape({3, 5, 1, 1});
  EXPECT_NEAR(dfkd::losses::activation_feature(map, false).item<double>(), -3.566666666666667,
              1e-12);
  EXPECT_NEAR(dfkd::losses::activation_feature(map, true).item<double>(), -0.7133333333333334,
              1e-12);
}

// ---- virtual_interpolation (eq. 9) -------------------------------------------------------------

TEST(VirtualInterpolation, MixWithOneLambdaPerBatch) {
  // Python: lam = 0.3; [[lam*a + (1-lam)*b for a, b in zip(v[i], v[perm[i]])] for i in range(3)]
  const auto [x_mix, t_mix] =
      dfkd::losses::mix(inputs(), teacher_logits(), torch::tensor(0.3, kF64), permutation());
  expect_tensor_near(x_mix, torch::tensor({{-0.75, 1.5}, {0.85, -1.325}, {-0.1, 1.075}}, kF64),
                     1e-12);
  expect_tensor_near(t_mix,
                     torch::tensor({{0.72, -0.22, 0.64, -1.25},
                                    {0.7, -0.11, 0.78, 1.25},
                                    {0.18, 0.53, -0.02, 1.5}},
                                   kF64),
                     1e-12);
}

TEST(VirtualInterpolation, MixWithOneLambdaPerSample) {
  // Python: the same with lam_i from [0.2, 0.5, 0.9] for row i
  const auto lambda = torch::tensor({0.2, 0.5, 0.9}, kF64);
  const auto [x_mix, t_mix] =
      dfkd::losses::mix(inputs(), teacher_logits(), lambda, permutation());
  expect_tensor_near(x_mix, torch::tensor({{-1.0, 2.0}, {0.75, -0.875}, {-1.3, 2.725}}, kF64),
                     1e-12);
  expect_tensor_near(t_mix,
                     torch::tensor({{0.68, -0.18, 0.56, -1.5},
                                    {0.5, 0.15, 0.5, 1.75},
                                    {0.54, -0.01, 0.34, -1.5}},
                                   kF64),
                     1e-12);
}

TEST(VirtualInterpolation, TermIsDiscrepancyOnMixedPair) {
  LinearStudent student;
  const dfkd::Discrepancy l1 = &dfkd::losses::dfad_discrepancy;
  // Python: s = [[sum(r[i]*W[i][k] for i in range(2)) + b[k] for k in range(4)] for r in xm];
  //         sum(abs(a-c) for r1, r2 in zip(s, tm) for a, c in zip(r1, r2)) / 12
  //   lam = 0.3             -> 0.9920833333333331
  //   lam = [0.2, 0.5, 0.9] -> 1.4464583333333334
  EXPECT_NEAR(dfkd::losses::virtual_interpolation(student, l1, inputs(), teacher_logits(),
                                                  torch::tensor(0.3, kF64), permutation())
                  .item<double>(),
              0.9920833333333331, 1e-12);
  EXPECT_NEAR(dfkd::losses::virtual_interpolation(student, l1, inputs(), teacher_logits(),
                                                  torch::tensor({0.2, 0.5, 0.9}, kF64),
                                                  permutation())
                  .item<double>(),
              1.4464583333333334, 1e-12);
}

TEST(VirtualInterpolation, TeacherTargetGetsNoGradient) {
  LinearStudent student;
  auto t = teacher_logits().requires_grad_(true);
  auto term = dfkd::losses::virtual_interpolation(student, &dfkd::losses::dfad_discrepancy,
                                                  inputs(), t, torch::tensor(0.3, kF64),
                                                  permutation());
  term.backward();
  EXPECT_FALSE(t.grad().defined());
  EXPECT_TRUE(student.module().parameters()[0].grad().defined());
}

TEST(VirtualInterpolation, BetaSamplesMatchMoments) {
  // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)); a = 1 is U[0, 1] (variance 1/12).
  auto rng = dfkd::make_generator(7, "test/beta");
  for (double alpha : {1.0, 0.2}) {
    const auto lam = dfkd::losses::sample_beta(alpha, {20000}, rng);
    ASSERT_EQ(lam.sizes(), torch::IntArrayRef({20000}));
    EXPECT_TRUE((lam >= 0).logical_and(lam <= 1).all().item<bool>());
    EXPECT_NEAR(lam.mean().item<double>(), 0.5, 0.01) << "alpha " << alpha;
    EXPECT_NEAR(lam.var(false).item<double>(), 1.0 / (4.0 * (2.0 * alpha + 1.0)), 0.005)
        << "alpha " << alpha;
  }
  EXPECT_EQ(dfkd::losses::sample_beta(1.0, {}, rng).dim(), 0);
  auto a = dfkd::make_generator(3, "test/beta");
  auto b = dfkd::make_generator(3, "test/beta");
  EXPECT_TRUE(torch::equal(dfkd::losses::sample_beta(0.4, {8}, a),
                           dfkd::losses::sample_beta(0.4, {8}, b)));
}
