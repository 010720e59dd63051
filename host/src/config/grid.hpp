#pragma once
/// Grids in experiment files (docs/experiments.md, "Grids"): a row's
/// `"grid": {"regularizers[2].weight": [0.1, 1]}` expands into one row per combination of values,
/// named after them (`Proposed weight=0.1`). Grids expand before profiles apply, so a profile's
/// patch of the base row reaches every grid row and the run of a grid row is the run of the same
/// row written by hand (same run_key).
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfkd::host {

/// The most rows one grid may expand into: a typo (a list pasted into the wrong path) should not
/// plan a million runs.
constexpr size_t kMaxGridRows = 1000;

/// A row of the experiment after grid expansion.
struct ExpandedRow {
  nlohmann::json row;     ///< without "grid" and "grid_labels"; a grid row without "paper"
  nlohmann::json origin;  ///< where each value was written (origins.hpp); grid values: the entry
  size_t index = 0;       ///< the row's index in the file's `rows`
  std::string grid_base;  ///< the name of the row that declares the grid; "" for a written row
};

/// The check of a row as written in the file, throwing ConfigError at `path` (the experiment
/// parser's own-path check). It sees each grid value in place, and its errors about that value
/// are reported at the grid entry.
using RowCheck = std::function<void(const nlohmann::json& row, const std::string& path)>;

/// The file's rows (with their origin trees) with every grid expanded in place, in file order;
/// `rows_path` is the JSON path of the list (e.g. `x.json.rows`). Each row is checked with
/// `check`, a grid row once per value of each grid path. Throws ConfigError naming the grid entry
/// for a bad path or value list and for a grid row name that another row already has.
std::vector<ExpandedRow> expand_grids(const std::vector<nlohmann::json>& rows,
                                      const std::vector<nlohmann::json>& origins,
                                      const std::string& rows_path, const RowCheck& check);

/// A value as a grid row's name shows it: 0.1, 1 (for 1.0), true, kl (strings unquoted), other
/// JSON compact.
std::string grid_value_label(const nlohmann::json& value);

}  // namespace dfkd::host
