// Golden-value tests of the Table 1 methods' maths: KD, FitNet, AT, FT and DAFL's own terms
// (DAFL's one-hot and activation terms are activation_logit / activation_feature, tested in
// losses_test.cpp). Every expected number was computed independently with plain Python (math
// module only, no tensor library) from the formula in the function's header; the Python
// expression sits above each check.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "at_loss.hpp"
#include "dafl_loss.hpp"
#include "fitnet_loss.hpp"
#include "ft_loss.hpp"
#include "golden_tensors.hpp"
#include "kd_loss.hpp"
#include "virtual_interpolation_loss.hpp"

namespace {

using golden::expect_tensor_near;
using golden::kF64;
using golden::student_logits;
using golden::teacher_logits;

}  // namespace

// ---- KD (Hinton) ------------------------------------------------------------------------------

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

// ---- FitNet -----------------------------------------------------------------------------------

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
  EXPECT_EQ(out_shape({8, 5, 5}, {16, 5, 5}), (V{2, 16, 5, 5}));    // 1x1 conv (LeNet conv2)
  EXPECT_EQ(out_shape({8, 7, 7}, {16, 5, 5}), (V{2, 16, 5, 5}));    // 3x3 conv, no padding
  EXPECT_EQ(out_shape({64, 16, 16}, {128, 8, 8}), (V{2, 128, 8, 8}));   // stride-2 conv
  EXPECT_EQ(out_shape({64, 8, 8}, {128, 16, 16}), (V{2, 128, 16, 16}));  // transposed conv
  EXPECT_EQ(out_shape({60}, {120}), (V{2, 120}));                    // vectors: Linear
  EXPECT_THROW(dfkd::losses::make_hint_regressor({8, 5, 5}, {16, 7, 7}), std::invalid_argument);
  EXPECT_THROW(dfkd::losses::make_hint_regressor({60}, {16, 5, 5}), std::invalid_argument);
}

// ---- AT ---------------------------------------------------------------------------------------

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
  return torch::tensor({0.2, 0.0, 1.0, 0.4, 0.9, -0.3, 0.0, 0.5, 1.1, 0.6, 0.2, -0.8,  //
                        0.0, 0.5, 0.5, 0.0, 1.0, 1.0, -0.2, 0.3, 0.4, -0.6, 0.9, 0.1},
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

// ---- FT ---------------------------------------------------------------------------------------

TEST(FtLoss, L1OfPerSampleNormalisedFactors) {
  // Python: fa = [[1.0,-2.0,0.5,0.0],[0.3,0.3,-0.9,1.2]]; fb = [[0.5,0.5,1.0,-1.0],[2.0,0.0,0.0,1.0]]
  //         nrm(v) = v / sqrt(sum v^2); sum(|nrm(a)-nrm(b)|) / 8 -> 0.5187955923570498
  const auto fa = torch::tensor({1.0, -2.0, 0.5, 0.0, 0.3, 0.3, -0.9, 1.2}, kF64).view({2, 2, 1, 2});
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

// ---- DAFL -------------------------------------------------------------------------------------

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

// ---- virtual interpolation with a second batch ------------------------------------------------

TEST(VirtualInterpolation, MixPairWithSecondBatch) {
  // Python: x = [[1.0,-2.0],[0.5,0.25],[-1.5,3.0]]; x2 = [[0.0,1.0],[2.0,-1.0],[0.5,0.5]];
  //         t2 = [[0.5,0.5,0.0,-1.0],[1.0,1.0,1.0,1.0],[-0.5,2.0,0.0,0.3]]; lam = 0.3
  //         [[lam*a + (1-lam)*b ...]]
  const auto x = golden::inputs();
  const auto x2 = torch::tensor({{0.0, 1.0}, {2.0, -1.0}, {0.5, 0.5}}, kF64);
  const auto t2 =
      torch::tensor({{0.5, 0.5, 0.0, -1.0}, {1.0, 1.0, 1.0, 1.0}, {-0.5, 2.0, 0.0, 0.3}}, kF64);
  const auto [x_mix, t_mix] =
      dfkd::losses::mix_pair(x, teacher_logits(), x2, t2, torch::tensor(0.3, kF64));
  expect_tensor_near(x_mix, torch::tensor({{0.3, 0.1}, {1.55, -0.625}, {-0.1, 1.25}}, kF64), 1e-12);
  expect_tensor_near(t_mix,
                     torch::tensor({{0.65, 0.2, 0.36, -0.55},
                                    {0.7, 0.94, 0.64, 1.6},
                                    {-0.17, 1.37, 0.12, -0.39}},
                                   kF64),
                     1e-12);
}
