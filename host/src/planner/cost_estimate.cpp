#include "planner/cost_estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "config/run_config.hpp"

namespace dfkd::host {
namespace {

std::string key(const RunRecord& r) {
  const nlohmann::json train = r.config.get<RunConfig>().train;
  return fmt::format("{}|{}|{}|{}|{}", r.profile, r.column, r.role, r.method, train.dump());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

CostEstimate::CostEstimate(const ResultsStore& store) {
  std::map<std::string, std::vector<double>> seen;
  for (const auto& r : store.runs("", "completed")) seen[key(r)].push_back(r.wall_seconds);
  for (auto& [k, times] : seen) median_[k] = median(std::move(times));
}

double CostEstimate::seconds(const RunRecord& r) const {
  auto it = median_.find(key(r));
  return it == median_.end() ? std::nan("") : it->second;
}

}  // namespace dfkd::host
