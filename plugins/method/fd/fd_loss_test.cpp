// Golden-value tests of feature distillation's loss, its beta rule and regressor. Every expected
// number was computed by hand / with plain Python (math module only) from the formula in
// fd_loss.hpp; the computation sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "fd_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {
using golden::kF64;
}  // namespace

TEST(FdLoss, L1OfPerSampleNormalisedFeatures) {
  // t = [[3,4],[1,0]] -> norms 5, 1 -> [[0.6,0.8],[1,0]]
  // s = [[0,2],[1,1]] -> norms 2, sqrt(2) -> [[0,1],[1/sqrt(2),1/sqrt(2)]]
  // |t - s| = [[0.6,0.2],[1-1/sqrt(2),1/sqrt(2)]] -> sum 1.8 -> mean 1.8 / 4 = 0.45
  const auto t = torch::tensor({{3.0, 4.0}, {1.0, 0.0}}, kF64).requires_grad_(true);
  const auto s = torch::tensor({{0.0, 2.0}, {1.0, 1.0}}, kF64).requires_grad_(true);
  auto loss = dfkd::losses::fd_loss(s, t);
  EXPECT_NEAR(loss.item<double>(), 0.45, 1e-15);
  loss.backward();
  EXPECT_FALSE(t.grad().defined()) << "the teacher's feature is a target";
  EXPECT_TRUE(s.grad().defined());
  // Feature maps: each sample flattened, so [2,1,1,2] maps give the same value; the scale of a
  // sample does not matter (x 10 on the student's first sample).
  const auto t4 = torch::tensor({3.0, 4.0, 1.0, 0.0}, kF64).reshape({2, 1, 1, 2});
  const auto s4 = torch::tensor({0.0, 20.0, 1.0, 1.0}, kF64).reshape({2, 1, 1, 2});
  EXPECT_NEAR(dfkd::losses::fd_loss(s4, t4).item<double>(), 0.45, 1e-15);
  EXPECT_THROW(dfkd::losses::fd_loss(s, t4), std::invalid_argument);
}

TEST(FdLoss, BetaBalancesTheTwoTermsAtStepZero) {
  // 2.3 / 0.0046 = 500 (Park et al.'s ResNet value comes out of the same rule).
  EXPECT_NEAR(dfkd::losses::balanced_beta(2.3, 0.0046), 500.0, 1e-9);
  EXPECT_EQ(dfkd::losses::balanced_beta(2.3, 0.0), 1.0);
}

TEST(FdLoss, RegressorIsOneByOneConvOrLinear) {
  torch::manual_seed(0);
  using V = std::vector<int64_t>;
  auto conv = dfkd::losses::make_fd_regressor({60, 1, 1}, {120, 1, 1}, "conv");
  EXPECT_EQ(conv->size(), 1u);
  EXPECT_EQ(conv->forward(torch::randn({2, 60, 1, 1})).sizes().vec(), (V{2, 120, 1, 1}));
  auto bn = dfkd::losses::make_fd_regressor({8, 5, 5}, {16, 5, 5}, "conv_bn_relu");
  EXPECT_EQ(bn->size(), 3u);
  EXPECT_EQ(dfkd::losses::make_fd_regressor({42}, {84}, "conv")
                ->forward(torch::randn({2, 42}))
                .sizes()
                .vec(),
            (V{2, 84}));
  EXPECT_THROW(dfkd::losses::make_fd_regressor({8, 5, 5}, {16, 10, 10}, "conv"),
               std::invalid_argument);
}
