// Golden-value tests of factor transfer's losses and modules. Every expected number was computed
// independently with plain Python (math module only, no tensor library) from the formula in the
// function's header; the Python expression sits above each check. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ft_loss.hpp"
#include "support/golden_tensors.hpp"

namespace {

using golden::expect_tensor_near;
using golden::kF64;

}  // namespace

TEST(FtLoss, L1OfPerSampleNormalisedFactors) {
  // Python: fa = [[1.0,-2.0,0.5,0.0],[0.3,0.3,-0.9,1.2]]; fb =
  // [[0.5,0.5,1.0,-1.0],[2.0,0.0,0.0,1.0]]
  //         nrm(v) = v / sqrt(sum v^2); sum(|nrm(a)-nrm(b)|) / 8 -> 0.5187955923570498
  const auto fa =
      torch::tensor({1.0, -2.0, 0.5, 0.0, 0.3, 0.3, -0.9, 1.2}, kF64).view({2, 2, 1, 2});
  auto fb = torch::tensor({0.5, 0.5, 1.0, -1.0, 2.0, 0.0, 0.0, 1.0}, kF64).view({2, 2, 1, 2});
  EXPECT_NEAR(dfkd::losses::ft_factor_loss(fa, fb).item<double>(), 0.5187955923570498, 1e-12);
  // Scale invariance per sample: the factor loss compares directions only.
  EXPECT_NEAR(dfkd::losses::ft_factor_loss(3.0 * fa, fb).item<double>(), 0.5187955923570498, 1e-12);
  // Python: sum(|a - b|) / 8 -> 0.9500000000000001
  EXPECT_NEAR(dfkd::losses::ft_paraphraser_loss(fa, fb).item<double>(), 0.9500000000000001, 1e-12);
  fb.requires_grad_(true);
  dfkd::losses::ft_factor_loss(fa.clone().requires_grad_(true), fb).backward();
  EXPECT_FALSE(fb.grad().defined()) << "the teacher's factor is a target";
}

TEST(FtLoss, ParaphraserAndTranslatorShapes) {
  torch::manual_seed(0);
  dfkd::losses::Paraphraser p(16, 8);
  auto t = torch::randn({2, 16, 5, 5});
  auto factor = p->encode(t);
  EXPECT_EQ(factor.sizes(), torch::IntArrayRef({2, 8, 5, 5}));
  EXPECT_EQ(p->decode(factor).sizes(), t.sizes());
  auto translator = dfkd::losses::make_translator(8, 8);
  EXPECT_EQ(translator->forward(torch::randn({2, 8, 5, 5})).sizes(), factor.sizes());
}
