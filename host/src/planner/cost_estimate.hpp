#pragma once
#include <array>
#include <map>
#include <string>

#include "store/results_store.hpp"

namespace dfkd::host {

/// Wall time a run will take, from completed runs alike in the store: the plan's and `dfkd
/// status`'s cost estimate. Per epoch it is the median over every epoch of those runs pooled
/// (their `epoch_seconds`), times the run's epochs, plus the median time a run spends outside its
/// epochs (start-up, loading, pre-training stages). Pooling epochs, not runs: a build or a test
/// suite on the machine slows some epochs of many runs, and the median of whole runs' wall times
/// then counts every one of them slow (a study of 6-minute runs once read 11 minutes a run).
/// Runs alike: same profile, column, role, method and train settings but the epoch count, and
/// the same regularizer plugins with the same options (weights do not change the cost); when
/// none has completed, the same without looking at regularizers.
class CostEstimate {
 public:
  explicit CostEstimate(const ResultsStore& store);
  /// NaN when nothing alike has completed yet. `run` need not be in the store: a cell not
  /// planned yet is estimated from its labels and config alone.
  double seconds(const RunRecord& run) const;

 private:
  struct Cost {
    double per_epoch = 0;
    double outside_epochs = 0;
  };
  /// [0]: keyed with the regularizers, [1]: without.
  std::array<std::map<std::string, Cost>, 2> cost_;
};

}  // namespace dfkd::host
