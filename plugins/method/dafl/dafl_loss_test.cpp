// Golden-value tests of DAFL's own terms (its one-hot and activation terms are the
// activation_logit / activation_feature regularizers, tested in their folders). Every expected
// number was computed independently with plain Python (math module only, no tensor library) from
// the formula in the function's header; the Python expression sits above each check. Built into
// dfkd_tests via dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include "dafl_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::kF64;
using golden::student_logits;
using golden::teacher_logits;

}  // namespace

TEST(DaflLoss, InformationEntropyIsNegativeBase10EntropyOfMeanPrediction) {
  // Python: pbar = [mean_b softmax(t_b)[k] for k]; sum(p * math.log10(p)) -> -0.5766911952876841
  EXPECT_NEAR(dfkd::losses::dafl_information_entropy(teacher_logits()).item<double>(),
              -0.5766911952876841, 1e-12);
  // Balanced mean prediction: -log10(K).
  EXPECT_NEAR(dfkd::losses::dafl_information_entropy(torch::zeros({5, 4}, kF64)).item<double>(),
              -std::log10(4.0), 1e-12);
}

TEST(DaflLoss, DescentOnInformationEntropyBalancesClasses) {
  auto t = teacher_logits().requires_grad_(true);
  auto ie = dfkd::losses::dafl_information_entropy(t);
  ie.backward();
  torch::NoGradGuard no_grad;
  const auto moved = t - 0.5 * t.grad();
  const auto entropy = [](const torch::Tensor& logits) {
    auto p = torch::softmax(logits, 1).mean(0);
    return -(p * p.log()).sum().item<double>();
  };
  EXPECT_GT(entropy(moved), entropy(t)) << "minimising L_ie must spread the mean prediction";
}

TEST(DaflLoss, StudentLossIsKlAtTemperatureOne) {
  // Python: kd(s, t, 1.0) -> 0.24916584249868778 (KL summed over classes, divided by B)
  EXPECT_NEAR(dfkd::losses::dafl_student_loss(student_logits(), teacher_logits()).item<double>(),
              0.24916584249868778, 1e-12);
}
