#pragma once
#include <map>
#include <string>

#include "store/results_store.hpp"

namespace dfkd::host {

/// Wall time a run will take, from completed runs of the same (profile, column, role, method,
/// train budget) in the store: the plan's and `dfkd status`'s cost estimate. The median, not the
/// mean: a run slowed by other work on the machine (or resumed many times) must not make the
/// whole plan look twice as long.
class CostEstimate {
 public:
  explicit CostEstimate(const ResultsStore& store);
  /// NaN when nothing comparable has completed yet. `run` need not be in the store: a cell not
  /// planned yet is estimated from its labels and config alone.
  double seconds(const RunRecord& run) const;

 private:
  std::map<std::string, double> median_;  ///< key -> median wall seconds of its completed runs
};

}  // namespace dfkd::host
