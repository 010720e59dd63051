#pragma once
/// `dfkd run`: plan an experiment's cells into the store, skip what is completed, resume what
/// was interrupted, and execute the rest: teachers before the students that need them, in this
/// process or in `--jobs N` worker processes, waiting for runs other processes hold.
#include <cstdio>
#include <string>

#include "config/run_config.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct RunMatrixOptions {
  bool force = false;          ///< rerun the plan's completed runs, teachers excepted
  bool force_teacher = false;  ///< also retrain completed teachers, and their students in the plan
  bool replace_definition = false;  ///< replace a stored definition from another file / losing rows
  bool dry_run = false;             ///< print the plan only (preview_matrix; writes nothing)
  std::string device = "auto";
  int threads = 0;  ///< intra-op threads in all; 0 = all cores
  int jobs = 0;     ///< concurrent runs; 0 = default_jobs(); 1 = in this process
  /// Benchmarks: append each main-loop iteration's seconds to this file as JSON lines (in process).
  std::string time_iterations;
  /// Print the top operators by self time of this main-loop global step (in process; -1 = off).
  int64_t profile_step = -1;
};

struct RunMatrixSummary {
  int planned = 0, cached = 0, completed = 0, failed = 0, skipped = 0;
  int by_others = 0;  ///< completed meanwhile by another dfkd process on the same store
  bool interrupted = false;
  double wall_seconds = 0;
};

/// The default for --jobs on this machine: one single-threaded worker per core, measured
/// faster than one process using every core for the LeNet-sized profiles (docs/experiments.md).
int default_jobs();

/// Plans every cell into the store (a run per run_key, cells linked) and returns each run once,
/// in the cells' order (teachers first). Runs are labelled with this experiment's row names.
/// The caller stores the definition first (planner/definitions.hpp).
std::vector<RunRecord> plan_runs(const Experiment& exp, const std::vector<CellRun>& cells,
                                 ResultsStore& store);
/// The same runs as plan_runs would return, read-only: runs the store lacks come back Planned with
/// no run_id. `store` may be null (no store yet).
std::vector<RunRecord> preview_runs(const Experiment& exp, const std::vector<CellRun>& cells,
                                    const ResultsStore* store);

/// `dfkd run --dry-run`: the plan, its cost estimate and what --force would rerun; writes nothing.
void preview_matrix(const Experiment& exp, const std::vector<CellRun>& cells,
                    const ResultsStore* store, const RunMatrixOptions& options, std::FILE* out);

/// The plugins a run config names, as the store records them.
std::vector<PluginRecord> plugins_of(const RunConfig& config, const PluginHost& plugins);

/// `cells` come from expand_cells(exp, ...), done before the store is opened so that a config
/// error never creates or touches a store.
RunMatrixSummary run_matrix(const Experiment& exp, const std::vector<CellRun>& cells,
                            const PluginHost& plugins, ResultsStore& store,
                            const RunMatrixOptions& options, std::FILE* out);

/// `dfkd worker --run ID`: trains one run that a `dfkd run --jobs N` parent has claimed.
/// Returns the exit code: 0 completed, 1 failed, 130 interrupted.
struct WorkerOptions {
  std::string run_id;
  std::string device = "auto";
  int threads = 1;
  std::string position;  ///< "[3/16]", for the progress lines
  /// Progress as tagged lines for the parent's live display (planner/live_progress.hpp), not as
  /// plain lines.
  bool live_progress = false;
};
int run_claimed(const PluginHost& plugins, ResultsStore& store, const WorkerOptions& options,
                std::FILE* out);

}  // namespace dfkd::host
