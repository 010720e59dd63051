#pragma once
/// Paper-layout tables read from the results store only: rows x columns, mean ± 95 % confidence
/// interval over seeds (Student t), optionally Welch's t-test of every row against one reference
/// row, the paper's number beside ours, the selection rule and profile stated.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/experiment.hpp"
#include "report/statistics.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct TableCell {
  std::vector<double> values;  ///< one per completed seed
  std::vector<int64_t> seeds;  ///< the seed of each of `values`
  double mean = 0;
  std::optional<double> std;   ///< sample standard deviation (n - 1); absent for n < 2
  std::optional<double> ci95;  ///< half-width of the t-based 95 % CI of the mean; absent for n < 2
  std::optional<double> paper;
  /// This row against the table's compare_to row in the same column; absent for that row itself
  /// and where either cell has n < 2.
  std::optional<WelchTest> versus;
  /// Why a cell with values has no `versus` ("n < 2", "DFAD does not log this metric", ...).
  std::string no_test;
  /// versus->p adjusted by Holm's method over its family: the tests of every row against
  /// compare_to in this column (one family per column, as each column is read on its own).
  std::optional<double> p_holm;
  int pending = 0;  ///< planned / running / killed runs of this cell (resumable)
  int failed = 0;   ///< failed runs of this cell: an error to read, not work in progress
  /// Completed runs that do not log the table's metric (a teacher's generator discrepancy):
  /// nothing to fill, nothing to wait for.
  int without_metric = 0;
  std::string without_metric_run;  ///< the first of those runs' id
  std::string failed_run;          ///< the first failed run's id (for `dfkd runs show`)
  /// Every run linked to this cell, whatever its status, by seed: (seed, run_id).
  std::vector<std::pair<int64_t, std::string>> runs;
};

/// A contrast (config/experiment.hpp) in one column: its value for every seed at which each of its
/// rows has a completed run, summarized, and tested against 0 (the paired t-test).
struct ContrastCell {
  std::vector<int64_t> seeds;
  std::vector<double> values;
  SampleSummary summary;
  std::optional<OneSampleTest> test;
  std::optional<double> paper;
};

struct ContrastResult {
  Contrast contrast;
  std::string formula;  ///< e.g. "L1 Self − L1 Finetuned − Label + Scratch"
  std::map<std::string, ContrastCell> cells;  ///< by column
};

struct ResultTable {
  std::string experiment, title, profile, profile_description;
  MetricSelection metric;
  /// The profile's own selection when --selection overrode it ("" when not), said in the header:
  /// the profile's description may name its selection.
  std::string overridden_selection;
  std::vector<std::string> columns;
  std::vector<std::string> profile_columns;  ///< the columns `dfkd run` runs without --dataset
  std::vector<std::string> rows;
  /// The seeds a cell of this profile runs (a cell with fewer is partly filled).
  int64_t seeds = 1;
  std::set<std::string> teacher_rows;  ///< rows of a teacher: one run per column, whatever `seeds`
  std::map<std::string, std::map<std::string, TableCell>> cells;  ///< [row][column]
  double wall_seconds = 0;  ///< wall time of the runs shown, every attempt
  /// The machines those runs' last attempts ran on (EnvironmentInfo::machine()), with how many
  /// runs and how much of wall_seconds each: a wall time without its CPU compares with nothing.
  struct MachineTime {
    int runs = 0;
    double wall_seconds = 0;
  };
  std::map<std::string, MachineTime> machines;
  std::string source_hint;  ///< what to pass to `dfkd run` to fill missing cells
  std::string db;           ///< the --db the user gave ("": none), repeated in those commands
  std::string compare_to;   ///< the reference row of the Welch tests ("": none)
  std::vector<ContrastResult> contrasts;
  /// Decimals of every printed value: 2 for percentages, more for small diagnostics (a class
  /// fraction of 0.123, a discrepancy of 0.0042) so that three significant digits show.
  int decimals = 2;
};

/// The `dfkd run` commands that would fill the cells without results: one per missing column
/// or row where a whole one is missing, else one per cell.
std::vector<std::string> fill_commands(const ResultTable& table);
/// " --db PATH" (shell-quoted) for the commands a table suggests, "" when no --db was given.
std::string db_option(const ResultTable& table);

ResultTable build_table(const ResultsStore& store, const Experiment& exp,
                        const std::string& source_hint);

/// Welch's t-test of every other row against `reference_row`, column by column (sets each cell's
/// `versus`, and `p_holm` over the column's tests). Throws ConfigError naming the table's rows when
/// `reference_row` is not one of them.
void compare_rows(ResultTable& table, const std::string& reference_row);

/// `dfkd table --metric KEY`: read `key` (any per-epoch metric the runs log) instead of the
/// experiment's metric. The paper's numbers are of the declared metric, so they are dropped when
/// `key` differs from it. Throws ConfigError listing the metrics the runs log when no completed
/// run logs `key`.
ResultTable build_table_of_metric(const ResultsStore& store, Experiment exp,
                                  const std::string& hint, const std::string& key);

/// A table value at the table's decimals ("97.38"; "0.0125"), and signed for differences ("+0.42").
std::string format_value(double v, int decimals);
std::string format_signed(double v, int decimals);
/// A p-value as every format prints it: "p<0.001" or "p=0.0085" (three significant digits).
std::string format_p(double p);
/// What follows a compared cell's p in every format: "†" where Holm's p stays < 0.05, then
/// " (Holm p=0.17)" beside a p < 0.05 where it reads differently; "" otherwise. Above 0.05 the
/// adjusted p changes no reading, so it is left out.
std::string holm_suffix(const TableCell& cell);

/// What ± means in every format.
inline constexpr const char* kCi95Rule =
    "± is the half-width of the 95 % confidence interval of the mean over the n completed seeds, "
    "t_{0.975, n-1} * s / sqrt(n) with s the sample standard deviation; none for n = 1 (one seed "
    "has no spread)";
/// What the diff and p of `table.compare_to` mean (table.compare_to must be set).
std::string compare_rule(const ResultTable& table);

/// What a contrast's ± and p mean in every format.
inline constexpr const char* kContrastRule =
    "each contrast is evaluated seed by seed (the same seed of every row it names) and "
    "summarized over those seeds: mean ± half-width of the 95 % CI; p: two-sided one-sample t-test "
    "of mean = 0 (the paired t-test); none for n = 1";

/// format: "md", "latex", "csv" or "json" (design §9 layout).
std::string render_table(const ResultTable& table, const std::string& format);
/// After a wall time: " on AMD EPYC, 2 CPUs", each machine's runs and seconds when they differ,
/// " (machine not recorded)" for runs from before schema 4; "" without runs.
std::string machines_text(const ResultTable& table);
nlohmann::json table_json(const ResultTable& table);

}  // namespace dfkd::host
