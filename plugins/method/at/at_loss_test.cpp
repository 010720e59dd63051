// Golden-value tests of attention transfer's maps and loss. Every expected number was computed
// independently with plain Python (math module only, no tensor library) from the formula in the
// function's header; the Python expression sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "at_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::expect_tensor_near;
using golden::kF64;

}  // namespace

namespace {
// Python: fs = [[[[1.0,-2.0],[0.5,0.0]], [[0.0,1.0],[-1.5,2.0]]],
//               [[[0.3,0.2],[-0.1,1.2]], [[2.0,-0.4],[0.0,0.7]]]]          (B=2, C=2, 2x2)
torch::Tensor at_student() {
  return torch::tensor({1.0, -2.0, 0.5, 0.0, 0.0, 1.0, -1.5, 2.0,  //
                        0.3, 0.2, -0.1, 1.2, 2.0, -0.4, 0.0, 0.7},
                       kF64)
      .view({2, 2, 2, 2});
}
// Python: ft = [[[[0.2,0.0],[1.0,0.4]], [[0.9,-0.3],[0.0,0.5]], [[1.1,0.6],[0.2,-0.8]]],
//               [[[0.0,0.5],[0.5,0.0]], [[1.0,1.0],[-0.2,0.3]], [[0.4,-0.6],[0.9,0.1]]]]  (C=3)
torch::Tensor at_teacher() {
  return torch::tensor({0.2, 0.0, 1.0, 0.4, 0.9, -0.3, 0.0,  0.5, 1.1, 0.6,  0.2, -0.8,  //
                        0.0, 0.5, 0.5, 0.0, 1.0, 1.0,  -0.2, 0.3, 0.4, -0.6, 0.9, 0.1},
                       kF64)
      .view({2, 3, 2, 2});
}
}  // namespace

TEST(AtLoss, AttentionMapIsNormalisedChannelMeanOfSquares) {
  // Python: a = [sum(abs(f[c][h][w])**2 for c)/C for h, w]; a / sqrt(sum(a*a))
  const auto expected = torch::tensor(
      {{0.1439631501497389, 0.7198157507486945, 0.35990787537434726, 0.5758526005989556},
       {0.9034819454893814, 0.04418004623419959, 0.0022090023117099797, 0.426337446160026}},
      kF64);
  expect_tensor_near(dfkd::losses::attention_map(at_student(), 2.0), expected, 1e-12);
}

TEST(AtLoss, MeanSquaredDifferenceOfMapsAcrossChannelCounts) {
  // Python: sum((A_s - A_t)**2 over b, h, w) / (2 * 4) -> 0.21655072954608967
  EXPECT_NEAR(dfkd::losses::at_loss(at_student(), at_teacher(), 2.0).item<double>(),
              0.21655072954608967, 1e-12);
}

TEST(AtLoss, LargerMapIsAveragePooledFirst) {
  // Student 1x1x4x4 pooled 2x2 -> [[1.5, 0.25], [0.5, 0.0]]; teacher 1x1x2x2 [[1.0,0.5],[0.0,2.0]].
  // Python: atl(pooled, t) -> 0.3789055274179763
  const auto big = torch::tensor({1.0, 2.0, 0.0, -1.0, 3.0, 0.0, 1.0, 1.0,  //
                                  0.5, 0.5, -2.0, 0.0, 1.5, -0.5, 0.0, 2.0},
                                 kF64)
                       .view({1, 1, 4, 4});
  const auto small = torch::tensor({1.0, 0.5, 0.0, 2.0}, kF64).view({1, 1, 2, 2});
  EXPECT_NEAR(dfkd::losses::at_loss(big, small, 2.0).item<double>(), 0.3789055274179763, 1e-12);
  // The other way round pools the teacher: the same number.
  EXPECT_NEAR(dfkd::losses::at_loss(small, big, 2.0).item<double>(), 0.3789055274179763, 1e-12);
}

TEST(AtLoss, TeacherMapGetsNoGradient) {
  auto s = at_student().requires_grad_(true);
  auto t = at_teacher().requires_grad_(true);
  dfkd::losses::at_loss(s, t, 2.0).backward();
  EXPECT_TRUE(s.grad().defined());
  EXPECT_FALSE(t.grad().defined());
}
