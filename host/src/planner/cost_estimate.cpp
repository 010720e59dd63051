#include "planner/cost_estimate.hpp"

#include <fmt/format.h>

#include <cmath>

#include "config/run_config.hpp"

namespace dfkd::host {
namespace {

std::string key(const RunRecord& r) {
  const nlohmann::json train = r.config.get<RunConfig>().train;
  return fmt::format("{}|{}|{}|{}|{}", r.profile, r.column, r.role, r.method, train.dump());
}

}  // namespace

CostEstimate::CostEstimate(const ResultsStore& store) {
  for (const auto& r : store.runs("", "completed")) {
    auto& [sum, n] = seen_[key(r)];
    sum += r.wall_seconds;
    ++n;
  }
}

double CostEstimate::seconds(const RunRecord& r) const {
  auto it = seen_.find(key(r));
  return it == seen_.end() ? std::nan("") : it->second.first / it->second.second;
}

}  // namespace dfkd::host
