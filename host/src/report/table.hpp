#pragma once
/// Paper-layout tables read from the results store only: rows x columns, mean ± std over seeds,
/// the paper's number beside ours, the selection rule and profile stated.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/experiment.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct TableCell {
  std::vector<double> values;  ///< one per completed seed
  double mean = 0, std = 0;    ///< std: sample standard deviation (n-1), 0 for n = 1
  std::optional<double> paper;
  int pending = 0;  ///< planned / running / failed runs of this cell
};

struct ResultTable {
  std::string experiment, title, profile, profile_description;
  MetricSelection metric;
  std::vector<std::string> columns;
  std::vector<std::string> profile_columns;  ///< the columns `dfkd run` runs without --dataset
  std::vector<std::string> rows;
  std::map<std::string, std::map<std::string, TableCell>> cells;  ///< [row][column]
  double wall_seconds = 0;  ///< training time of the runs shown
  std::string source_hint;  ///< what to pass to `dfkd run` to fill missing cells
  std::string db;           ///< the --db the user gave ("": none), repeated in those commands
};

/// The `dfkd run` commands that would fill the cells without results: one per missing column
/// or row where a whole one is missing, else one per cell.
std::vector<std::string> fill_commands(const ResultTable& table);

ResultTable build_table(const ResultsStore& store, const Experiment& exp,
                        const std::string& source_hint);

/// format: "md", "latex", "csv" or "json" (design §9 layout).
std::string render_table(const ResultTable& table, const std::string& format);
nlohmann::json table_json(const ResultTable& table);

}  // namespace dfkd::host
