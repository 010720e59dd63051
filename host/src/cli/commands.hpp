#pragma once
/// The dfkd subcommands. Exit codes: 0 success, 1 a run failed, 2 usage/config error,
/// 130 interrupted.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "slurm/sweep.hpp"
#include "slurm/task_state.hpp"

namespace dfkd::host {
class PluginHost;
struct Experiment;
}  // namespace dfkd::host

namespace dfkd::cli {

const char* version();
/// The malloc dfkd runs on, as jemalloc reports it (cli/allocator.cpp).
std::string allocator_description();

struct Common {
  std::string db;  ///< "" = $DFKD_DB or results/results.db
};

/// The results store the command works on: --db, else $DFKD_DB, else results/results.db.
std::filesystem::path db_path(const Common& common);
/// Whether a command-line experiment is meant as a file (it ends in .json).
bool looks_like_file(const std::string& s);
/// The EXPERIMENT of `dfkd run` and `slurm submit`: a JSON file, or (as for `dfkd table`) the
/// name of an experiment whose definition `db`, the store they write to, keeps.
host::Experiment experiment_to_run(const std::string& what, const std::string& profile,
                                   const std::filesystem::path& db);
/// Every plugin on the search path; load failures are printed as warnings unless `quiet`.
std::unique_ptr<host::PluginHost> load_plugins(bool quiet_failures = false);

struct RunArgs {
  std::string experiment, profile, device = "auto";
  int seeds = 0, threads = 0, jobs = 0;
  std::vector<std::string> rows, columns;
  bool force = false, force_teacher = false, replace_definition = false, dry_run = false,
       no_table = false;
  std::string time_iterations;
  int64_t profile_step = -1;
};

struct WorkerArgs {
  std::string run_id, device = "auto", position, sweep;
  int threads = 1, index = -1;
  bool live_progress = false;
};

struct SubmitArgs {
  RunArgs run;                ///< experiment, profile, seeds, rows, columns, dry_run
  host::SlurmJobOptions job;  ///< sbatch options and the tasks' device
  std::string sweeps_dir;
  bool no_ingest_job = false;
};

struct IngestArgs {
  std::vector<std::string> inputs;
  double lost_after = host::kDefaultLostAfterSeconds;
};

struct ExportArgs {
  std::string experiment, profile, out, artifacts = "needed";
};

struct ReportArgs {
  std::string experiment, profile, format = "md", out;
  std::string compare_to;  ///< table: Welch's t-test of every row against this row
  std::string selection;   ///< table: overrides the experiment's metric.selection ("": keep)
  std::string metric;      ///< table: another logged metric than the experiment's ("": keep)
  bool summary = false;    ///< status: a line per row and column (its seeds by state), not per seed
};

/// `dfkd report`: the static HTML site.
struct SiteArgs {
  std::vector<std::string> experiments;  ///< files or names in the store; none: all in the store
  std::string profile;                   ///< "": every profile the store has runs of
  std::string out = "results/report";
  std::string compare_to, selection;  ///< as for `dfkd table`, applied to every table
  std::string metric;                 ///< as for `dfkd table`, in every table whose runs log it
};

/// `dfkd query`. Exit codes: 0 done (also when --limit cut the output: a note on stderr says so),
/// 1 SQL error, refused statement or --timeout reached (output incomplete), 2 usage,
/// 130 interrupted by SIGINT (143: SIGTERM).
struct QueryArgs {
  std::string sql, format = "md";
  int64_t limit = 10000;  ///< rows; 0 = no limit
  double timeout = 60;    ///< seconds; 0 = none
};

struct RunsArgs {
  std::string experiment, status, show_id;
};

int cmd_plugins(bool json);
int cmd_models(const ReportArgs& args, bool json);
int cmd_run(const Common& common, const RunArgs& args);
int cmd_worker(const Common& common, const WorkerArgs& args);
int cmd_slurm_submit(const Common& common, const SubmitArgs& args);
int cmd_slurm_status(const Common& common, const std::string& sweep_dir, double lost_after);
int cmd_ingest(const Common& common, const IngestArgs& args);
int cmd_export(const Common& common, const ExportArgs& args);
int cmd_status(const Common& common, const ReportArgs& args);
int cmd_table(const Common& common, const ReportArgs& args);
int cmd_plot(const Common& common, const ReportArgs& args);
int cmd_report(const Common& common, const SiteArgs& args);
int cmd_query(const Common& common, const QueryArgs& args);
int cmd_runs(const Common& common, const RunsArgs& args);

}  // namespace dfkd::cli
