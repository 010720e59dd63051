#pragma once
/// The dfkd subcommands. Exit codes: 0 success, 1 a run failed, 2 usage/config error,
/// 130 interrupted.
#include <string>
#include <vector>

namespace dfkd::cli {

const char* version();

struct Common {
  std::string db;  ///< "" = $DFKD_DB or results/results.db
};

struct RunArgs {
  std::string experiment, profile, device = "auto";
  int seeds = 0, threads = 0, jobs = 0;
  std::vector<std::string> rows, columns;
  bool force = false, dry_run = false, no_table = false;
};

struct WorkerArgs {
  std::string run_id, device = "auto", position;
  int threads = 1;
};

struct ReportArgs {
  std::string experiment, profile, format = "md", out;
};

struct RunsArgs {
  std::string experiment, status, show_id;
};

int cmd_plugins(bool json);
int cmd_models(const ReportArgs& args, bool json);
int cmd_run(const Common& common, const RunArgs& args);
int cmd_worker(const Common& common, const WorkerArgs& args);
int cmd_status(const Common& common, const ReportArgs& args);
int cmd_table(const Common& common, const ReportArgs& args);
int cmd_plot(const Common& common, const ReportArgs& args);
int cmd_query(const Common& common, const std::string& sql, const std::string& format);
int cmd_runs(const Common& common, const RunsArgs& args);

}  // namespace dfkd::cli
