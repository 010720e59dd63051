// The two_moons dataset: sizes, balance, geometry, determinism and standardization.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "two_moons_dataset.hpp"

namespace {

using dfkd_two_moons::TwoMoons;

TwoMoons make(const nlohmann::json& given = nlohmann::json::object()) {
  return TwoMoons(dfkd::Options(
      "two_moons", dfkd::resolve_options(TwoMoons::info().options, given, "dataset.options")));
}

// Population mean and variance per feature of [N, 2] in float64.
std::pair<torch::Tensor, torch::Tensor> stats(const torch::Tensor& x) {
  auto xd = x.to(torch::kFloat64);
  auto mean = xd.mean(0);
  return {mean, (xd - mean).pow(2).mean(0)};
}

}  // namespace

TEST(TwoMoons, ShapesAndTypes) {
  const auto data = make();
  EXPECT_EQ(data.shape().input_shape, std::vector<int64_t>{2});
  EXPECT_EQ(data.shape().num_classes, 2);
  for (const dfkd::Split* split : {&data.train(), &data.test()}) {
    EXPECT_EQ(split->x.sizes(), torch::IntArrayRef({1000, 2}));
    EXPECT_EQ(split->y.sizes(), torch::IntArrayRef({1000}));
    EXPECT_EQ(split->x.scalar_type(), torch::kFloat32);
    EXPECT_EQ(split->y.scalar_type(), torch::kLong);
  }
  const auto small = make({{"n_train", 30}, {"n_test", 12}});
  EXPECT_EQ(small.train().x.size(0), 30);
  EXPECT_EQ(small.test().x.size(0), 12);
}

TEST(TwoMoons, LabelsAreBalancedAndShuffled) {
  const auto data = make();
  for (const dfkd::Split* split : {&data.train(), &data.test()}) {
    EXPECT_EQ(split->y.eq(0).sum().item<int64_t>(), 500);
    EXPECT_EQ(split->y.eq(1).sum().item<int64_t>(), 500);
    // Shuffled: the first half is not one block of label 0.
    const int64_t ones_in_first_half = split->y.slice(0, 0, 500).sum().item<int64_t>();
    EXPECT_GT(ones_in_first_half, 150);
    EXPECT_LT(ones_in_first_half, 350);
  }
  // Odd n: the extra point goes to label 1 (sklearn's split).
  const auto odd = make({{"n_train", 7}});
  EXPECT_EQ(odd.train().y.eq(0).sum().item<int64_t>(), 3);
  EXPECT_EQ(odd.train().y.eq(1).sum().item<int64_t>(), 4);
}

TEST(TwoMoons, NoiselessPointsLieOnTheirMoon) {
  const auto data = make({{"noise", 0.0}, {"standardize", false}});
  const auto x = data.train().x.to(torch::kFloat64);
  const auto y = data.train().y;
  const auto upper = x.index({y.eq(0)});
  const auto lower = x.index({y.eq(1)});
  // Upper: (cos t, sin t) -> unit circle around (0, 0), y >= 0.
  const auto r_upper = upper.pow(2).sum(1);
  EXPECT_TRUE(torch::allclose(r_upper, torch::ones_like(r_upper), 0, 1e-6));
  EXPECT_GE(upper.select(1, 1).min().item<double>(), -1e-6);
  // Lower: (1 - cos t, 0.5 - sin t) -> unit circle around (1, 0.5), y <= 0.5.
  const auto centred = lower - torch::tensor({1.0, 0.5}, torch::kFloat64);
  const auto r_lower = centred.pow(2).sum(1);
  EXPECT_TRUE(torch::allclose(r_lower, torch::ones_like(r_lower), 0, 1e-6));
  EXPECT_LE(lower.select(1, 1).max().item<double>(), 0.5 + 1e-6);
}

TEST(TwoMoons, NoiseHasRequestedScale) {
  // Distance to the moon's circle is ~ |N(0, noise^2)| radially: its RMS is close to noise.
  const auto data = make({{"noise", 0.1}, {"standardize", false}, {"n_train", 4000}});
  const auto x = data.train().x.to(torch::kFloat64);
  const auto y = data.train().y;
  const auto centre = torch::where(y.eq(0).unsqueeze(1), torch::zeros({1, 2}, torch::kFloat64),
                                   torch::tensor({{1.0, 0.5}}, torch::kFloat64));
  const auto radial = (x - centre).pow(2).sum(1).sqrt() - 1.0;
  EXPECT_NEAR(radial.pow(2).mean().sqrt().item<double>(), 0.1, 0.01);
}

TEST(TwoMoons, DeterministicForAFixedSeed) {
  const auto a = make({{"seed", 5}});
  const auto b = make({{"seed", 5}});
  EXPECT_TRUE(torch::equal(a.train().x, b.train().x));
  EXPECT_TRUE(torch::equal(a.train().y, b.train().y));
  EXPECT_TRUE(torch::equal(a.test().x, b.test().x));
  EXPECT_TRUE(torch::equal(a.test().y, b.test().y));
  const auto c = make({{"seed", 6}});
  EXPECT_FALSE(torch::equal(a.train().x, c.train().x));
  // Separate streams: the test split's size never changes the training points.
  const auto d = make({{"seed", 5}, {"n_test", 10}});
  EXPECT_TRUE(torch::equal(a.train().x, d.train().x));
}

TEST(TwoMoons, TrainAndTestDiffer) {
  const auto data = make();
  EXPECT_FALSE(torch::allclose(data.train().x, data.test().x));
}

TEST(TwoMoons, StandardizedWithTrainStatistics) {
  const auto data = make();
  const auto [mean, var] = stats(data.train().x);
  EXPECT_TRUE(torch::allclose(mean, torch::zeros({2}, torch::kFloat64), 0, 1e-6)) << mean;
  EXPECT_TRUE(torch::allclose(var, torch::ones({2}, torch::kFloat64), 0, 1e-5)) << var;

  // Test split: the train split's transform applied to the raw test points.
  const auto raw = make({{"standardize", false}});
  const auto [raw_mean, raw_var] = stats(raw.train().x);
  const auto expected = (raw.test().x.to(torch::kFloat64) - raw_mean) / raw_var.sqrt();
  EXPECT_TRUE(torch::allclose(data.test().x.to(torch::kFloat64), expected, 0, 1e-5));
  // Raw moons are not standardized (x-mean is about 0.5), so the transform did something.
  EXPECT_GT(stats(raw.train().x).first[0].item<double>(), 0.3);
}

TEST(TwoMoons, RejectsInvalidOptions) {
  EXPECT_THROW(make({{"n_train", 1}}), dfkd::ConfigError);
  EXPECT_THROW(make({{"n_test", 0}}), dfkd::ConfigError);
  EXPECT_THROW(make({{"noise", -0.1}}), dfkd::ConfigError);
}
