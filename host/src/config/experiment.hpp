#pragma once
/// Experiment files (experiments/*.json): the comparison matrix of rows (methods) x columns
/// (datasets) and its profiles, parsed and validated. planner/cells.hpp turns it into runs.
/// The file format is documented in docs/experiments.md.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/train_block.hpp"

namespace dfkd::host {

/// The table's metric and which epoch's value a table cell shows.
struct MetricSelection {
  std::string key = "test_accuracy";
  /// "final" (last epoch), "best" (best epoch of the metric itself; optimistic) or "best_val"
  /// (the epoch of best val_accuracy: needs a dataset with a validation split).
  std::string selection = "final";
};

bool is_metric_selection(const std::string& selection);

struct Figure {
  std::string name;
  std::string kind;  ///< "two_moons_panels"
  nlohmann::json spec;
};

/// A signed sum of rows evaluated seed by seed in every column, e.g. Park et al.'s surplus
/// (Self − Finetuned) − (Label − Scratch): tables show its mean, CI and paired t-test against 0.
struct Contrast {
  std::string name;
  std::string description;
  std::vector<std::pair<std::string, double>> terms;  ///< (row, coefficient)
  std::map<std::string, double> paper;                ///< column -> the paper's value
};

/// The experiment with one profile applied (merge patches resolved), not yet tied to plugins.
struct Experiment {
  std::string name;
  std::string title;
  std::string profile;
  std::string profile_description;
  std::vector<std::string> profile_columns;  ///< columns the profile runs by default (empty: all)
  std::vector<std::string> profiles;         ///< every profile the file defines
  int64_t seeds = 1;
  /// The profile's "jobs": runs trained at once when `dfkd run` is given no --jobs (0: one per
  /// core). A profile whose runs take less than a worker process's start-up says 1.
  int64_t jobs = 0;
  MetricSelection metric;
  std::vector<nlohmann::json> columns;  ///< each with "name", "dataset", "student", "teacher"
  /// Each with "name" and either "teacher": true or "method"; a row with a "grid" is replaced by
  /// its grid rows (config/grid.hpp), in file order.
  std::vector<nlohmann::json> rows;
  /// For each of `rows`: its index in the file's "rows" and, for a grid row, the name of the row
  /// that declares the grid ("" otherwise). Empty for a hand-made Experiment.
  struct RowSource {
    size_t index = 0;
    std::string grid_base;
  };
  std::vector<RowSource> row_sources;
  nlohmann::json train;  ///< experiment-wide training defaults
  std::vector<Figure> figures;
  std::vector<Contrast> contrasts;
  nlohmann::json source;    ///< the whole file as read (stored with the runs)
  std::string source_file;  ///< absolute path of the file it was read from ("" if from the store)
  std::string origin;       ///< what error paths start with: the file name (or the stored name)
  /// Where each value of `columns`, `rows` and `train` was written: the same trees with every
  /// value replaced by its JSON path in the file (the base entry, or the profile patch that set
  /// it), so that errors found after merging name the place to fix.
  std::vector<nlohmann::json> column_origins, row_origins;
  nlohmann::json train_origin;

  std::vector<std::string> row_names() const;
  /// The rows `name` means (indices into `rows`): the row of that name or, for the base row of a
  /// grid, every row of its grid; empty if there is none.
  std::vector<size_t> rows_named(const std::string& name) const;
  /// The names of the rows that declare a grid, in file order.
  std::vector<std::string> grid_bases() const;
  /// The JSON path of row `i` in the file (a grid row: the row declaring the grid).
  std::string row_path(size_t i) const;
  std::vector<std::string> column_names() const;
  /// The paper's number for (row, column), if the file records one.
  std::optional<double> paper_value(const std::string& row, const std::string& column) const;
};

/// Reads and validates `file` and applies `profile` ("" = the file's default profile).
Experiment load_experiment(const std::filesystem::path& file, const std::string& profile);
/// Same from an already parsed definition (e.g. the copy in the results store).
Experiment parse_experiment(const nlohmann::json& source, const std::string& profile,
                            const std::string& origin);

/// The experiment under each profile its file defines (`exp` itself for its own profile).
std::vector<Experiment> every_profile(const Experiment& exp);

/// A row as one column sees it: its "by_column" patch for that column applied (RFC 7386), so one
/// row can carry per-dataset hyperparameters (e.g. DFAD's MNIST vs CIFAR settings).
nlohmann::json row_for_column(const nlohmann::json& row, const std::string& column);

}  // namespace dfkd::host
