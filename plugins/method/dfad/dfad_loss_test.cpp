// Golden-value tests of DFAD's discrepancy and generator loss. Every expected number was computed
// independently with plain Python (math module only, no tensor library) from the formula in the
// function's header; the Python expression sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "dfad_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::inputs;
using golden::kF64;
using golden::student_logits;
using golden::teacher_logits;

}  // namespace

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
