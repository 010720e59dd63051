#include "report/selection.hpp"

#include <fmt/format.h>

#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

/// The epoch of the run's best validation accuracy; the earliest one on ties, so that a plateau
/// does not reward training longer than needed.
int64_t best_validation_epoch(const ResultsStore& store, const RunRecord& run) {
  const auto series = store.metric_series(run.run_id, kValidationMetric);
  if (series.empty())
    throw ConfigError(fmt::format(
        "run {} ({} / {} / seed {}, profile {}) has no {} metric: selection best_val needs a "
        "dataset with a validation split (set the dataset option validation_size) and the run "
        "trained with it",
        run.run_id.substr(0, 12), run.row, run.column, run.seed, run.profile, kValidationMetric));
  const MetricPoint* best = &series.front();
  for (const auto& p : series)
    if (p.value > best->value || (p.value == best->value && p.epoch < best->epoch)) best = &p;
  return best->epoch;
}

}  // namespace

std::optional<double> selected_value(const ResultsStore& store, const RunRecord& run,
                                     const MetricSelection& m) {
  if (m.selection == "best_val") {
    const auto series = store.metric_series(run.run_id, m.key);
    if (series.empty()) return std::nullopt;  // a metric this run does not log
    const int64_t epoch = best_validation_epoch(store, run);
    for (const auto& p : series)
      if (p.epoch == epoch) return p.value;
    throw ConfigError(fmt::format(
        "run {} ({} / {} / seed {}): no {} at epoch {}, its epoch of best {}",
        run.run_id.substr(0, 12), run.row, run.column, run.seed, m.key, epoch, kValidationMetric));
  }
  for (const auto& s : store.summaries(run.run_id))
    if (s.key == m.key) return m.selection == "final" ? s.final_value : s.best_value;
  return std::nullopt;
}

std::string selection_text(const MetricSelection& m) {
  if (m.selection == "final") return "value at the final epoch";
  if (m.selection == "best_val")
    return fmt::format("value at the epoch of best {} (earliest on ties)", kValidationMetric);
  return "value at the best epoch on the test split (optimistic)";
}

}  // namespace dfkd::host
