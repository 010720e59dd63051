// Golden-value tests of KD's loss (Hinton et al. 2015). Every expected number was computed
// independently with plain Python (math module only, no tensor library) from the formula in the
// function's header; the Python expression sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "kd_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::expect_tensor_near;
using golden::kF64;
using golden::student_logits;
using golden::teacher_logits;

}  // namespace

// Python: softmax(r, T) = exp(v/T) / sum exp; kd(s, t, T) =
//   T*T * sum(sum(pt*(log pt - log ps)) for each row) / 3
TEST(KdLoss, TemperatureSquaredKlOverBatch) {
  // kd(s, t, 4.0) -> 0.30392501657931137 ; kd(s, t, 1.0) -> 0.24916584249868778
  EXPECT_NEAR(dfkd::losses::kd_loss(student_logits(), teacher_logits(), 4.0).item<double>(),
              0.30392501657931137, 1e-12);
  EXPECT_NEAR(dfkd::losses::kd_loss(student_logits(), teacher_logits(), 1.0).item<double>(),
              0.24916584249868778, 1e-12);
  EXPECT_NEAR(dfkd::losses::kd_loss(teacher_logits(), teacher_logits(), 4.0).item<double>(), 0.0,
              1e-15);
}

TEST(KdLoss, GradientReachesOnlyTheStudent) {
  auto s = student_logits().requires_grad_(true);
  auto t = teacher_logits().requires_grad_(true);
  dfkd::losses::kd_loss(s, t, 4.0).backward();
  // d/ds = T * (softmax(s/T) - softmax(t/T)) / B. Python: [[T*(a-b)/3 for a, b in zip(ps, pt)]]
  const auto expected = torch::tensor(
      {{-0.03693533668451143, -0.0253852609117996, 0.09491591781631141, -0.03259532022000052},
       {0.12790834420005562, -0.02638190872394978, -0.02054625117313043, -0.08098018430297545},
       {-0.0935376773112168, 0.0897250688251799, -0.03277193806910287, 0.03658454655513962}},
      kF64);
  expect_tensor_near(s.grad(), expected, 1e-12);
  EXPECT_FALSE(t.grad().defined()) << "the teacher's logits are a target";
}
