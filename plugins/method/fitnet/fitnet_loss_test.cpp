// Golden-value tests of FitNet's hint loss and regressor. Every expected number was computed
// independently with plain Python (math module only, no tensor library) from the formula in the
// function's header; the Python expression sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "fitnet_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::expect_tensor_near;
using golden::kF64;

}  // namespace

TEST(FitNetLoss, HintLossIsMeanSquaredError) {
  // Python: a = [[0.5,1.0],[-2.0,0.25]]; b = [[1.0,0.0],[-1.0,0.75]];
  //         sum((x-y)**2 for all) / 4 -> 0.625
  const auto a = torch::tensor({{0.5, 1.0}, {-2.0, 0.25}}, kF64).requires_grad_(true);
  const auto b = torch::tensor({{1.0, 0.0}, {-1.0, 0.75}}, kF64).requires_grad_(true);
  auto loss = dfkd::losses::fitnet_hint_loss(a, b);
  EXPECT_NEAR(loss.item<double>(), 0.625, 1e-15);
  loss.backward();
  // d/da = 2 (a - b) / 4
  expect_tensor_near(a.grad(), torch::tensor({{-0.25, 0.5}, {-0.5, -0.25}}, kF64), 1e-15);
  EXPECT_FALSE(b.grad().defined()) << "the teacher's hint is a target";
}

TEST(FitNetLoss, RegressorMapsStudentShapeOntoTeacherShape) {
  torch::manual_seed(0);
  auto out_shape = [](std::vector<int64_t> s, const std::vector<int64_t>& t) {
    auto reg = dfkd::losses::make_hint_regressor(s, t);
    reg->eval();
    s.insert(s.begin(), 2);
    return reg->forward(torch::randn(s)).sizes().vec();
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(out_shape({8, 5, 5}, {16, 5, 5}), (V{2, 16, 5, 5}));         // 1x1 conv (LeNet conv2)
  EXPECT_EQ(out_shape({8, 7, 7}, {16, 5, 5}), (V{2, 16, 5, 5}));         // 3x3 conv, no padding
  EXPECT_EQ(out_shape({64, 16, 16}, {128, 8, 8}), (V{2, 128, 8, 8}));    // stride-2 conv
  EXPECT_EQ(out_shape({64, 8, 8}, {128, 16, 16}), (V{2, 128, 16, 16}));  // transposed conv
  EXPECT_EQ(out_shape({60}, {120}), (V{2, 120}));                        // vectors: Linear
  EXPECT_THROW(dfkd::losses::make_hint_regressor({8, 5, 5}, {16, 7, 7}), std::invalid_argument);
  EXPECT_THROW(dfkd::losses::make_hint_regressor({60}, {16, 5, 5}), std::invalid_argument);
}
