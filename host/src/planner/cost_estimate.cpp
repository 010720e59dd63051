#include "planner/cost_estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "config/run_config.hpp"

namespace dfkd::host {
namespace {

/// What makes runs cost alike per epoch (the epoch count scales the estimate instead).
std::string kind(const RunRecord& r, const RunConfig& config, bool with_regularizers) {
  nlohmann::json train = config.train;
  train.erase("epochs");
  std::string k =
      fmt::format("{}|{}|{}|{}|{}", r.profile, r.column, r.role, r.method, train.dump());
  if (with_regularizers)
    for (const auto& reg : config.regularizers) k += "|" + reg.plugin + reg.options.dump();
  return k;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

constexpr int kWithRegularizers = 0;  ///< the level of cost_ keyed with the regularizers

struct Samples {
  std::vector<double> epochs;          ///< every epoch's seconds, of every run alike
  std::vector<double> outside_epochs;  ///< per run: wall time not in an epoch
};

}  // namespace

CostEstimate::CostEstimate(const ResultsStore& store) {
  std::array<std::map<std::string, Samples>, 2> seen;
  for (const auto& r : store.runs("", "completed")) {
    const auto config = r.config.get<RunConfig>();
    std::vector<double> epochs;
    for (const auto& p : store.metric_series(r.run_id, "epoch_seconds")) epochs.push_back(p.value);
    if (epochs.empty()) {  // recorded before epoch_seconds: its wall time spread over its epochs
      const auto n = std::max<int64_t>(1, r.epochs_done > 0 ? r.epochs_done : config.train.epochs);
      epochs.assign(static_cast<size_t>(n), r.wall_seconds / static_cast<double>(n));
    }
    double in_epochs = 0;
    for (double s : epochs) in_epochs += s;
    for (int level = 0; level < 2; ++level) {
      auto& s = seen[level][kind(r, config, level == kWithRegularizers)];
      s.epochs.insert(s.epochs.end(), epochs.begin(), epochs.end());
      s.outside_epochs.push_back(std::max(0.0, r.wall_seconds - in_epochs));
    }
  }
  for (int level = 0; level < 2; ++level)
    for (auto& [k, s] : seen[level])
      cost_[level][k] = {median(std::move(s.epochs)), median(std::move(s.outside_epochs))};
}

double CostEstimate::seconds(const RunRecord& r) const {
  const auto config = r.config.get<RunConfig>();
  for (int level = 0; level < 2; ++level) {  // the key with regularizers first
    const auto it = cost_[level].find(kind(r, config, level == kWithRegularizers));
    if (it != cost_[level].end())
      return static_cast<double>(config.train.epochs) * it->second.per_epoch +
             it->second.outside_epochs;
  }
  return std::nan("");
}

}  // namespace dfkd::host
