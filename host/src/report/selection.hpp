#pragma once
/// Which epoch's value of the experiment metric a table cell or figure point reads from a run.
#include <optional>
#include <string>

#include "config/experiment.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

/// The validation metric `best_val` picks the epoch by (logged beside test_accuracy when the
/// dataset holds out a validation split).
inline constexpr const char* kValidationMetric = "val_accuracy";

/// The run's value of `m.key` under `m.selection`: "final" (last epoch), "best" (best epoch of
/// the metric itself) or "best_val" (the epoch of maximal val_accuracy, earliest on ties).
/// Absent when the run recorded no `m.key`. Throws ConfigError for best_val when the run has no
/// val_accuracy (its dataset has no validation split).
std::optional<double> selected_value(const ResultsStore& store, const RunRecord& run,
                                     const MetricSelection& m);

/// What the selection means, for table headers ("value at the final epoch").
std::string selection_text(const MetricSelection& m);

}  // namespace dfkd::host
