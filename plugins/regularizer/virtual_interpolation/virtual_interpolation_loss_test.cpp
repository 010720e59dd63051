// Golden-value tests of the virtual_interpolation term (eq. 9) and its mixing. Every expected
// number was computed independently with plain Python (math module only, no tensor library) from
// the formula in the function's header; the Python expression sits above each check. Built into
// dfkd_tests via dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <dfkd/model.hpp>
#include <dfkd/random.hpp>
#include <dfkd/regularizer.hpp>

#include "support/golden_tensors.hpp"
#include "virtual_interpolation_loss.hpp"

namespace {

using golden::expect_tensor_near;
using golden::inputs;
using golden::kF64;
using golden::student_logits;
using golden::teacher_logits;

// Python: perm = [2, 0, 1]
torch::Tensor permutation() {
  return torch::tensor({2, 0, 1}, torch::kLong);
}

// The discrepancy the term is computed with: mean L1, DFAD's (Python: sum(abs(a-b)) / n).
torch::Tensor mean_l1(const torch::Tensor& s, const torch::Tensor& t) {
  return (s - t).abs().mean();
}

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

TEST(VirtualInterpolation, MixWithOneLambdaPerBatch) {
  // Python: lam = 0.3; [[lam*a + (1-lam)*b for a, b in zip(v[i], v[perm[i]])] for i in range(3)]
  const auto [x_mix, t_mix] =
      dfkd::losses::mix(inputs(), teacher_logits(), torch::tensor(0.3, kF64), permutation());
  expect_tensor_near(x_mix, torch::tensor({{-0.75, 1.5}, {0.85, -1.325}, {-0.1, 1.075}}, kF64),
                     1e-12);
  expect_tensor_near(
      t_mix,
      torch::tensor(
          {{0.72, -0.22, 0.64, -1.25}, {0.7, -0.11, 0.78, 1.25}, {0.18, 0.53, -0.02, 1.5}}, kF64),
      1e-12);
}

TEST(VirtualInterpolation, MixWithOneLambdaPerSample) {
  // Python: the same with lam_i from [0.2, 0.5, 0.9] for row i
  const auto lambda = torch::tensor({0.2, 0.5, 0.9}, kF64);
  const auto [x_mix, t_mix] = dfkd::losses::mix(inputs(), teacher_logits(), lambda, permutation());
  expect_tensor_near(x_mix, torch::tensor({{-1.0, 2.0}, {0.75, -0.875}, {-1.3, 2.725}}, kF64),
                     1e-12);
  expect_tensor_near(
      t_mix,
      torch::tensor({{0.68, -0.18, 0.56, -1.5}, {0.5, 0.15, 0.5, 1.75}, {0.54, -0.01, 0.34, -1.5}},
                    kF64),
      1e-12);
}

TEST(VirtualInterpolation, TermIsDiscrepancyOnMixedPair) {
  LinearStudent student;
  const dfkd::Discrepancy l1 = &mean_l1;
  // Python: s = [[sum(r[i]*W[i][k] for i in range(2)) + b[k] for k in range(4)] for r in xm];
  //         sum(abs(a-c) for r1, r2 in zip(s, tm) for a, c in zip(r1, r2)) / 12
  //   lam = 0.3             -> 0.9920833333333331
  //   lam = [0.2, 0.5, 0.9] -> 1.4464583333333334
  EXPECT_NEAR(dfkd::losses::virtual_interpolation(student, l1, inputs(), teacher_logits(),
                                                  torch::tensor(0.3, kF64), permutation())
                  .item<double>(),
              0.9920833333333331, 1e-12);
  EXPECT_NEAR(
      dfkd::losses::virtual_interpolation(student, l1, inputs(), teacher_logits(),
                                          torch::tensor({0.2, 0.5, 0.9}, kF64), permutation())
          .item<double>(),
      1.4464583333333334, 1e-12);
}

TEST(VirtualInterpolation, TeacherTargetGetsNoGradient) {
  LinearStudent student;
  auto t = teacher_logits().requires_grad_(true);
  auto term = dfkd::losses::virtual_interpolation(student, &mean_l1, inputs(), t,
                                                  torch::tensor(0.3, kF64), permutation());
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
  EXPECT_TRUE(
      torch::equal(dfkd::losses::sample_beta(0.4, {8}, a), dfkd::losses::sample_beta(0.4, {8}, b)));
}

TEST(VirtualInterpolation, MixPairWithSecondBatch) {
  // Python: x = [[1.0,-2.0],[0.5,0.25],[-1.5,3.0]]; x2 = [[0.0,1.0],[2.0,-1.0],[0.5,0.5]];
  //         t2 = [[0.5,0.5,0.0,-1.0],[1.0,1.0,1.0,1.0],[-0.5,2.0,0.0,0.3]]; lam = 0.3
  //         [[lam*a + (1-lam)*b ...]]
  const auto x = inputs();
  const auto x2 = torch::tensor({{0.0, 1.0}, {2.0, -1.0}, {0.5, 0.5}}, kF64);
  const auto t2 =
      torch::tensor({{0.5, 0.5, 0.0, -1.0}, {1.0, 1.0, 1.0, 1.0}, {-0.5, 2.0, 0.0, 0.3}}, kF64);
  const auto [x_mix, t_mix] =
      dfkd::losses::mix_pair(x, teacher_logits(), x2, t2, torch::tensor(0.3, kF64));
  expect_tensor_near(x_mix, torch::tensor({{0.3, 0.1}, {1.55, -0.625}, {-0.1, 1.25}}, kF64), 1e-12);
  expect_tensor_near(
      t_mix,
      torch::tensor({{0.65, 0.2, 0.36, -0.55}, {0.7, 0.94, 0.64, 1.6}, {-0.17, 1.37, 0.12, -0.39}},
                    kF64),
      1e-12);
}

// vi_loss against the shared golden logits (s = student_logits(), t = teacher_logits()).
// Python (math only): sm(r) = softmax of row r; l1/mse = mean over the 12 elements;
//   kl(p, s) = sum_b sum_k p[b][k] * (log p[b][k] - log_softmax(s[b])[k]) / 3
TEST(VirtualInterpolation, LossOnLogitTargets) {
  using dfkd::losses::TargetSpace;
  using dfkd::losses::ViLoss;
  const auto s = student_logits(), t = teacher_logits();
  const dfkd::Discrepancy l1 = &mean_l1;
  // l1(s, t) -> 0.7166666666666667; mse(s, t) -> 0.6133333333333333
  EXPECT_NEAR(dfkd::losses::vi_loss(s, t, TargetSpace::Logits, ViLoss::L1, l1).item<double>(),
              0.7166666666666667, 1e-12);
  EXPECT_NEAR(
      dfkd::losses::vi_loss(s, t, TargetSpace::Logits, ViLoss::Discrepancy, l1).item<double>(),
      0.7166666666666667, 1e-12);
  EXPECT_NEAR(dfkd::losses::vi_loss(s, t, TargetSpace::Logits, ViLoss::Mse, l1).item<double>(),
              0.6133333333333333, 1e-12);
  // kl([sm(r) for r in t], s) -> 0.24916584249868767 (= DAFL's KD term at T = 1, dafl_loss_test)
  EXPECT_NEAR(dfkd::losses::vi_loss(s, t, TargetSpace::Logits, ViLoss::Kl, l1).item<double>(),
              0.24916584249868767, 1e-12);
}

TEST(VirtualInterpolation, LossOnProbabilityTargets) {
  using dfkd::losses::TargetSpace;
  using dfkd::losses::ViLoss;
  const auto s = student_logits();
  const auto p = torch::softmax(teacher_logits(), 1);
  const dfkd::Discrepancy l1 = &mean_l1;
  // l1([sm(r) for r in s], [sm(r) for r in t]) -> 0.1545772995301873; mse -> 0.03803685833059626
  EXPECT_NEAR(
      dfkd::losses::vi_loss(s, p, TargetSpace::Probabilities, ViLoss::L1, l1).item<double>(),
      0.1545772995301873, 1e-12);
  EXPECT_NEAR(dfkd::losses::vi_loss(s, p, TargetSpace::Probabilities, ViLoss::Discrepancy, l1)
                  .item<double>(),
              0.1545772995301873, 1e-12);
  EXPECT_NEAR(
      dfkd::losses::vi_loss(s, p, TargetSpace::Probabilities, ViLoss::Mse, l1).item<double>(),
      0.03803685833059626, 1e-12);
  EXPECT_NEAR(
      dfkd::losses::vi_loss(s, p, TargetSpace::Probabilities, ViLoss::Kl, l1).item<double>(),
      0.24916584249868767, 1e-12);
  // A one-hot target: KL = -log_softmax(s)[b][label] averaged; zero entries add 0, not NaN.
  // Python: -(lsm(s[0])[2] + lsm(s[1])[3] + lsm(s[2])[0]) / 3 -> 0.9264802102757574
  const auto one_hot =
      torch::tensor({{0.0, 0.0, 1.0, 0.0}, {0.0, 0.0, 0.0, 1.0}, {1.0, 0.0, 0.0, 0.0}}, kF64);
  EXPECT_NEAR(
      dfkd::losses::vi_loss(s, one_hot, TargetSpace::Probabilities, ViLoss::Kl, l1).item<double>(),
      0.9264802102757574, 1e-12);
}
