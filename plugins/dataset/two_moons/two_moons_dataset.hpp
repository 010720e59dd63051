#pragma once
/// The two_moons dataset: two interleaving half circles (sklearn's make_moons), 2 classes.
#include <cstdint>

#include <dfkd/sdk.hpp>

namespace dfkd_two_moons {

/// n points in float64: the first n/2 on the upper moon (cos t, sin t) with label 0, the rest on
/// the lower moon (1 - cos t, 0.5 - sin t) with label 1, t ~ U[0, pi], plus N(0, noise^2) on each
/// coordinate; rows shuffled. Every draw comes from `rng`.
dfkd::Split make_moons(int64_t n, double noise, torch::Generator& rng);

class TwoMoons : public dfkd::Dataset {
 public:
  static dfkd::PluginInfo info();
  explicit TwoMoons(const dfkd::Options& options);

  dfkd::DataShape shape() const override { return {{2}, 2}; }
  const dfkd::Split& train() const override { return train_; }
  const dfkd::Split& test() const override { return test_; }

 private:
  dfkd::Split train_;
  dfkd::Split test_;
};

}  // namespace dfkd_two_moons
