#pragma once
#include <map>
#include <string>
#include <utility>

#include "store/results_store.hpp"

namespace dfkd::host {

/// Wall time a run will take, from completed runs of the same (profile, column, role, method,
/// train budget) in the store: the plan's and `dfkd status`'s cost estimate.
class CostEstimate {
 public:
  explicit CostEstimate(const ResultsStore& store);
  /// NaN when nothing comparable has completed yet.
  double seconds(const RunRecord& run) const;

 private:
  std::map<std::string, std::pair<double, int>> seen_;  ///< key -> (sum of seconds, count)
};

}  // namespace dfkd::host
