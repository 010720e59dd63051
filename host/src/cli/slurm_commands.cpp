// The cluster path: `dfkd slurm submit`, `dfkd slurm status`, `dfkd ingest` (docs/slurm.md).
#include <fmt/format.h>

#include <cstdlib>

#include "cli/commands.hpp"
#include "config/experiment.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "slurm/ingest.hpp"
#include "slurm/submit.hpp"
#include "slurm/sweep_status.hpp"
#include "store/results_store.hpp"

namespace dfkd::cli {

int cmd_slurm_submit(const Common& common, const SubmitArgs& args) {
  auto plugins = load_plugins();
  const auto& run = args.run;
  auto exp = experiment_to_run(run.experiment, run.profile, db_path(common));
  const auto cells = host::expand_cells(exp, *plugins, {run.rows, run.columns, run.seeds});
  host::check_every_profile(exp, *plugins);
  host::ResultsStore store(db_path(common));
  const host::SubmitOptions opt{args.job, args.sweeps_dir, run.dry_run, !args.no_ingest_job,
                                run.replace_definition};
  fmt::print("dfkd: {} (profile {}) -> {}\n", exp.name, exp.profile, store.path().string());
  host::submit_sweep(exp, cells, *plugins, store, opt, stdout);
  return 0;
}

int cmd_slurm_status(const Common& common, const std::string& sweep_dir, double lost_after) {
  host::print_sweep_status(sweep_dir, common.db.empty() ? std::filesystem::path() : db_path(common),
                           lost_after, stdout);
  return 0;
}

int cmd_ingest(const Common& common, const IngestArgs& args) {
  std::vector<std::filesystem::path> inputs(args.inputs.begin(), args.inputs.end());
  // A sweep knows the store it was submitted for; --db or $DFKD_DB choose another.
  std::filesystem::path db = db_path(common);
  const char* env = std::getenv("DFKD_DB");
  if (common.db.empty() && !(env && *env) && host::Sweep::is_sweep_dir(inputs.front()))
    db = host::Sweep::open(inputs.front()).manifest().store;
  host::ResultsStore store(db);
  const auto sum = host::ingest(store, inputs, {args.lost_after}, stdout);
  return sum.errors > 0 ? 1 : 0;
}

}  // namespace dfkd::cli
