// Golden-value tests of the activation_feature term (R_m, eq. 3). Every expected number was
// computed independently with plain Python (math module only, no tensor library) from the formula
// in the function's header; the Python expression sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "activation_feature_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::kF64;

}  // namespace

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
