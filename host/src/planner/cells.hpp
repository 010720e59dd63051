#pragma once
/// From a parsed experiment to the runs its matrix needs: rows x columns x seeds, each with its
/// canonical config and run_key, validated against the loaded plugins.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/experiment.hpp"
#include "loader/plugin_host.hpp"

namespace dfkd::host {

/// One run the matrix needs, with its canonical config and labels.
struct CellRun {
  std::string row, column;
  int64_t seed = 0;
  std::string role;  ///< "teacher" or "student"
  std::string method;
  nlohmann::json
      config;           ///< canonical: plugin versions + resolved options + train + profile + seed
  std::string run_key;  ///< sha256 of config.dump()
  std::string parent_run_key;
  std::string parent_row;  ///< the teacher's row label ("Teacher")
};

struct CellFilter {
  std::vector<std::string> rows;     ///< empty: all
  std::vector<std::string> columns;  ///< empty: all
  int64_t seeds = 0;                 ///< 0: the profile's count
};

/// Expands rows x columns x seeds into runs, teachers first (a teacher needed by several students
/// appears once). Validates every plugin name and options block against the loaded plugins.
std::vector<CellRun> expand_cells(const Experiment& exp, const PluginHost& plugins,
                                  const CellFilter& filter);

/// Validates every profile of `exp.source` against the plugins too (options, traits), as if each
/// were run on all its columns: a typo in a profile that is not run today is still an error.
void check_every_profile(const Experiment& exp, const PluginHost& plugins);

}  // namespace dfkd::host
