// Golden-value tests of the mixing maths shared by cutmix and mixup. Every expected number was
// worked out by hand from the reference rand_bbox (clovaai/CutMix-PyTorch train.py: cut = int(W ·
// sqrt(1 − λ)), box [c − cut//2, c + cut//2) clipped) and Mixup's blend; the arithmetic sits above
// each check. Built into dfkd_tests via dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <dfkd/augmentation.hpp>
#include <dfkd/random.hpp>

#include "mixing.hpp"
#include "support/golden_tensors.hpp"

namespace {
using dfkd::mixing::Box;
using golden::kF64;

void expect_box(const Box& b, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
  EXPECT_EQ(b.y0, y0);
  EXPECT_EQ(b.y1, y1);
  EXPECT_EQ(b.x0, x0);
  EXPECT_EQ(b.x1, x1);
}
}  // namespace

TEST(CutMixBox, SidesFromLambdaCentredAndClipped) {
  // 4x4, λ 0.75: cut = int(4 · sqrt(0.25)) = 2, half 1. Centre (3, 1): y [2, 4), x [0, 2): area 4,
  // own weight 1 − 4/16 = 0.75.
  auto b = dfkd::mixing::cutmix_box(4, 4, 0.75, 3, 1);
  expect_box(b, 2, 4, 0, 2);
  EXPECT_DOUBLE_EQ(dfkd::mixing::own_weight(b, 4, 4), 0.75);
  // Centre (0, 0): y [-1, 1) -> [0, 1), x likewise: area 1, weight 1 − 1/16 = 0.9375 (λ recomputed
  // from the clipped box, as the reference does).
  b = dfkd::mixing::cutmix_box(4, 4, 0.75, 0, 0);
  expect_box(b, 0, 1, 0, 1);
  EXPECT_DOUBLE_EQ(dfkd::mixing::own_weight(b, 4, 4), 0.9375);
  // 28x28 (MNIST), λ 0.5: cut = int(28 · 0.70710678) = int(19.799) = 19, half 9. Centre (14, 14):
  // [5, 23) both ways, area 18² = 324, weight 1 − 324/784 = 460/784.
  b = dfkd::mixing::cutmix_box(28, 28, 0.5, 14, 14);
  expect_box(b, 5, 23, 5, 23);
  EXPECT_DOUBLE_EQ(dfkd::mixing::own_weight(b, 28, 28), 460.0 / 784.0);
  // λ 1: no box, the sample keeps its label whole.
  b = dfkd::mixing::cutmix_box(28, 28, 1.0, 3, 7);
  EXPECT_EQ(b.area(), 0);
  EXPECT_DOUBLE_EQ(dfkd::mixing::own_weight(b, 28, 28), 1.0);
}

TEST(CutMixBox, PastesThePartnersBox) {
  // Sample 0 = [[0,1],[2,3]], sample 1 = [[4,5],[6,7]]; partners swap; box = the first row.
  const auto x = torch::arange(8, kF64).reshape({2, 1, 2, 2});
  const auto perm = torch::tensor({1, 0}, torch::kLong);
  const auto out = dfkd::mixing::paste_box(x, perm, Box{0, 1, 0, 2});
  const auto want =
      torch::tensor({4.0, 5.0, 2.0, 3.0, 0.0, 1.0, 6.0, 7.0}, kF64).reshape({2, 1, 2, 2});
  EXPECT_TRUE(torch::equal(out, want)) << out;
  EXPECT_TRUE(torch::equal(x, torch::arange(8, kF64).reshape({2, 1, 2, 2}))) << "input untouched";
  EXPECT_THROW(dfkd::mixing::paste_box(torch::zeros({2, 4}), perm, Box{0, 1, 0, 1}),
               std::invalid_argument);
}

TEST(Mixup, BlendsWithThePartner) {
  // λ 0.25: row 0 = 0.25·[0,2] + 0.75·[4,6] = [3,5]; row 1 = 0.25·[4,6] + 0.75·[0,2] = [1,3].
  const auto x = torch::tensor({{0.0, 2.0}, {4.0, 6.0}}, kF64);
  const auto out = dfkd::mixing::blend(x, torch::tensor({1, 0}, torch::kLong), 0.25);
  EXPECT_TRUE(torch::allclose(out, torch::tensor({{3.0, 5.0}, {1.0, 3.0}}, kF64))) << out;
}

TEST(Mixing, MixLabelsPairsEachSampleWithItsPartner) {
  dfkd::Batch b{torch::zeros({3, 2}), torch::tensor({0, 1, 2}, torch::kLong)};
  EXPECT_FALSE(b.mixed());
  b = dfkd::mix_labels(std::move(b), torch::tensor({2, 0, 1}, torch::kLong), torch::tensor(0.75));
  ASSERT_TRUE(b.mixed());
  EXPECT_TRUE(torch::equal(b.y_mix, torch::tensor({2, 0, 1}, torch::kLong)));
  EXPECT_TRUE(torch::allclose(b.y_weight, torch::full({3}, 0.75)));
  EXPECT_THROW(dfkd::mix_labels(b, torch::tensor({0, 1, 2}, torch::kLong), torch::tensor(0.5)),
               std::invalid_argument)
      << "a second mixing would lose a label";
  dfkd::Batch c{torch::zeros({3, 2}), torch::tensor({0, 1, 2}, torch::kLong)};
  EXPECT_THROW(dfkd::mix_labels(c, torch::tensor({0, 1}, torch::kLong), torch::tensor(0.5)),
               std::invalid_argument);
}

TEST(Mixing, BetaDrawsAreSeededAndInRange) {
  auto a = dfkd::make_generator(7, "beta");
  auto b = dfkd::make_generator(7, "beta");
  EXPECT_EQ(dfkd::mixing::sample_beta(1.0, a), dfkd::mixing::sample_beta(1.0, b));
  // Beta(1, 1) is uniform: the mean of 4000 draws is 0.5 within 4 standard errors
  // (sqrt(1/12) / sqrt(4000) = 0.0046).
  double sum = 0;
  for (int i = 0; i < 4000; ++i) {
    const double l = dfkd::mixing::sample_beta(1.0, a);
    ASSERT_GE(l, 0.0);
    ASSERT_LE(l, 1.0);
    sum += l;
  }
  EXPECT_NEAR(sum / 4000, 0.5, 4 * 0.0046);
}
