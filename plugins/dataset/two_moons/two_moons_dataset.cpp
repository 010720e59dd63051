#include "two_moons_dataset.hpp"

#include <fmt/format.h>

#include <cmath>

namespace dfkd_two_moons {

dfkd::PluginInfo TwoMoons::info() {
  dfkd::PluginInfo info;
  info.doc = "Two interleaving half circles in 2-D (sklearn's make_moons), 2 balanced classes";
  info.options = {
      dfkd::option_int("n_train", 1000, "number of training points").at_least(1).at_most(10000000),
      dfkd::option_int("n_test", 1000, "number of test points").at_least(1).at_most(10000000),
      dfkd::option_real("noise", 0.1, "std of the gaussian noise added to each coordinate")
          .at_least(0),
      dfkd::option_int("seed", 0,
                       "data seed; fixed across run seeds so every run sees the same points"),
      dfkd::option_bool("standardize", true,
                        "zero mean / unit variance per feature from train statistics, applied "
                        "to both splits"),
  };
  return info;
}

dfkd::Split make_moons(int64_t n, double noise, torch::Generator& rng) {
  const auto f64 = torch::dtype(torch::kFloat64);
  const int64_t n_upper = n / 2;  // sklearn's split: the extra point of an odd n goes to label 1
  const int64_t n_lower = n - n_upper;
  auto t = torch::rand({n}, rng, f64) * M_PI;
  auto t_up = t.slice(0, 0, n_upper);
  auto t_lo = t.slice(0, n_upper, n);
  auto upper = torch::stack({torch::cos(t_up), torch::sin(t_up)}, 1);
  auto lower = torch::stack({1.0 - torch::cos(t_lo), 0.5 - torch::sin(t_lo)}, 1);
  auto x = torch::cat({upper, lower}, 0) + noise * torch::randn({n, 2}, rng, f64);
  auto y =
      torch::cat({torch::zeros({n_upper}, torch::kLong), torch::ones({n_lower}, torch::kLong)});
  auto perm = torch::randperm(n, rng, torch::kLong);
  return {x.index_select(0, perm), y.index_select(0, perm)};
}

namespace {
void require(bool ok, const std::string& option, const std::string& expected, double found) {
  if (!ok)
    throw dfkd::ConfigError(
        fmt::format("two_moons: option {}: expected {}, found {}", option, expected, found));
}
}  // namespace

TwoMoons::TwoMoons(const dfkd::Options& o) {
  const int64_t n_train = o.integer("n_train");
  const int64_t n_test = o.integer("n_test");
  const double noise = o.real("noise");
  // Train statistics need at least two points; noise is a standard deviation.
  require(n_train >= 2, "n_train", "an integer >= 2", static_cast<double>(n_train));
  require(n_test >= 1, "n_test", "an integer >= 1", static_cast<double>(n_test));
  require(noise >= 0.0, "noise", "a real >= 0", noise);

  // Separate named streams: n_train never changes the test points and vice versa.
  const auto seed = static_cast<uint64_t>(o.integer("seed"));
  auto train_rng = dfkd::make_generator(seed, "two_moons/train");
  auto test_rng = dfkd::make_generator(seed, "two_moons/test");
  train_ = make_moons(n_train, noise, train_rng);
  test_ = make_moons(n_test, noise, test_rng);

  if (o.boolean("standardize")) {
    // Population statistics, so the standardized train split has variance exactly 1.
    auto mean = train_.x.mean(0, /*keepdim=*/true);
    auto std = (train_.x - mean).pow(2).mean(0, /*keepdim=*/true).sqrt();
    train_.x = (train_.x - mean) / std;
    test_.x = (test_.x - mean) / std;
  }
  train_.x = train_.x.to(torch::kFloat32).contiguous();
  test_.x = test_.x.to(torch::kFloat32).contiguous();
}

}  // namespace dfkd_two_moons
