// Golden-value tests of Knowledge Representing's losses. Every expected number was worked out by
// hand (plain Python, math module, for the square roots) from the formulas in kr_loss.hpp; the
// arithmetic sits above each check. Built into dfkd_tests via dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "kr_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {
using golden::kF64;
}  // namespace

TEST(KrLoss, SparseRecodingIgnoresResidualsUpToTau) {
  // r = [-3, -1, 0.5, 2], τ 1, κ 2: |r| − τ = [2, 0, −0.5, 1] -> κ·max(·, 0) = [4, 0, 0, 2],
  // mean 1.5. |r| = τ exactly costs nothing.
  const auto r = torch::tensor({-3.0, -1.0, 0.5, 2.0}, kF64);
  EXPECT_DOUBLE_EQ(dfkd::losses::sparse_recoding(r, 1.0, 2.0).item<double>(), 1.5);
  EXPECT_DOUBLE_EQ(dfkd::losses::sparse_recoding(r, 5.0, 2.0).item<double>(), 0.0);
}

TEST(KrLoss, StudentPenaltyKinds) {
  // s = [[-3, -1], [0.5, 2]], aggregator 0: |r| = [3, 1, 0.5, 2].
  // psi, τ = mean|r| = 6.5 / 4 = 1.625, κ 1: [1.375, 0, 0, 0.375] -> 1.75 / 4 = 0.4375.
  // l1: 1.625. l2: (9 + 1 + 0.25 + 4) / 4 = 3.5625. psi with a fixed τ 1, κ 1: [2, 0, 0, 1] ->
  // 0.75.
  const auto s = torch::tensor({{-3.0, -1.0}, {0.5, 2.0}}, kF64).requires_grad_(true);
  const auto k = torch::zeros({2, 2}, kF64).requires_grad_(true);
  auto psi = dfkd::losses::kr_penalty(s, k, "psi", 1.0, -1.0);
  EXPECT_DOUBLE_EQ(psi.item<double>(), 0.4375);
  EXPECT_DOUBLE_EQ(dfkd::losses::kr_penalty(s, k, "l1", 1.0, -1.0).item<double>(), 1.625);
  EXPECT_DOUBLE_EQ(dfkd::losses::kr_penalty(s, k, "l2", 1.0, -1.0).item<double>(), 3.5625);
  EXPECT_DOUBLE_EQ(dfkd::losses::kr_penalty(s, k, "psi", 1.0, 1.0).item<double>(), 0.75);
  psi.backward();
  EXPECT_FALSE(k.grad().defined()) << "the aggregator is a target for the student";
  // d psi / d s = κ·sign(r)/4 where |r| > τ, else 0: [-0.25, 0, 0, 0.25].
  EXPECT_TRUE(torch::allclose(s.grad(), torch::tensor({{-0.25, 0.0}, {0.0, 0.25}}, kF64)));
  EXPECT_THROW(dfkd::losses::kr_penalty(s, k, "l3", 1.0, -1.0), std::invalid_argument);
}

TEST(KrLoss, AggregatorWeighsTapsByResidualSpread) {
  // Tap 1: a − t = [1, 2, 3, 4]: mse 30/4 = 7.5, std (unbiased) sqrt(5/3) = 1.2909944487358056.
  // Tap 2: a − t = [−1, 1]: mse 1, std sqrt(2) = 1.4142135623730951.
  // w = [0.47722557505166113, 0.5227744249483389]; loss = 7.5·w1 + 1·w2 = 4.101966237835797.
  const auto a1 = torch::tensor({1.0, 2.0, 3.0, 4.0}, kF64).requires_grad_(true);
  const auto t1 = torch::zeros({4}, kF64);
  const auto a2 = torch::zeros({2}, kF64).requires_grad_(true);
  const auto t2 = torch::tensor({1.0, -1.0}, kF64);
  auto loss = dfkd::losses::aggregator_loss({a1, a2}, {t1, t2});
  EXPECT_NEAR(loss.item<double>(), 4.101966237835797, 1e-14);
  loss.backward();
  // The weights are detached: d/da1 = w1 · 2(a1 − t1)/4 = w1 · [0.5, 1, 1.5, 2].
  EXPECT_TRUE(
      torch::allclose(a1.grad(), 0.47722557505166113 * torch::tensor({0.5, 1.0, 1.5, 2.0}, kF64)));
  EXPECT_THROW(dfkd::losses::aggregator_loss({a1}, {t1, t2}), std::invalid_argument);
}
