#pragma once
/// `dfkd run`: plan an experiment's cells into the store, skip what is completed, resume what
/// was interrupted, and execute the rest (teachers before the students that need them).
#include <cstdio>
#include <string>

#include "config/experiment.hpp"
#include "plugins/plugin_host.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct RunMatrixOptions {
  bool force = false;    ///< rerun completed runs
  bool dry_run = false;  ///< print the plan only
  std::string device = "auto";
  int threads = 0;       ///< intra-op threads; 0 = all cores
};

struct RunMatrixSummary {
  int planned = 0, cached = 0, completed = 0, failed = 0, skipped = 0;
  bool interrupted = false;
};

/// `cells` come from expand_cells(exp, ...), done before the store is opened so that a config
/// error never creates or touches a store.
RunMatrixSummary run_matrix(const Experiment& exp, const std::vector<CellRun>& cells,
                            const PluginHost& plugins, ResultsStore& store,
                            const RunMatrixOptions& options, std::FILE* out);

}  // namespace dfkd::host
