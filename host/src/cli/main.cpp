// dfkd: the command-line front end. Parsing and dispatch only; the work lives in libdfkd_host.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "dfkd/errors.hpp"

namespace {

using namespace dfkd::cli;

/// What every subcommand's options are parsed into.
struct Args {
  Common common;
  bool plugins_json = false;
  ReportArgs models;
  bool models_json = false;
  RunArgs run;
  WorkerArgs worker;
  SubmitArgs submit;
  std::string sweep_dir;
  double lost_after = dfkd::host::kDefaultLostAfterSeconds;
  IngestArgs ingest;
  ExportArgs export_args;
  ReportArgs report;
  SiteArgs site;
  QueryArgs query;
  RunsArgs runs;
};

/// Each subcommand with what runs when it was given, in the order they are added.
using Dispatch = std::vector<std::pair<CLI::App*, std::function<int()>>>;

void add_db(CLI::App* cmd, Args& a) {
  cmd->add_option("--db", a.common.db, "results store (default: $DFKD_DB or results/results.db)");
}

void add_plugins_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto* cmd = app.add_subcommand("plugins", "list loaded plugins and load failures");
  cmd->add_flag("--json", a.plugins_json, "machine-readable, with every option");
  dispatch.emplace_back(cmd, [&a] { return cmd_plugins(a.plugins_json); });
}

void add_models_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto* cmd = app.add_subcommand(
      "models", "MACs and parameters of an experiment's networks, beside the paper's");
  cmd->add_option("experiment", a.models.experiment, "experiment JSON file")->required();
  cmd->add_option("--profile", a.models.profile, "profile (default: the file's default)");
  cmd->add_flag("--json", a.models_json, "machine-readable");
  dispatch.emplace_back(cmd, [&a] { return cmd_models(a.models, a.models_json); });
}

/// The options `run` shares with `slurm submit`: which cells of which experiment.
void add_matrix_options(CLI::App* cmd, RunArgs& run) {
  cmd->add_option("experiment", run.experiment, "experiment JSON file or name in the store")
      ->required();
  cmd->add_option("--profile", run.profile, "profile (default: the file's default_profile)");
  cmd->add_option("--seeds", run.seeds, "number of seeds (default: the profile's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--only", run.rows,
                  "rows to run, comma separated (a grid's base row: all its rows)")
      ->delimiter(',');
  cmd->add_option("--dataset", run.columns, "columns to run, comma separated")->delimiter(',');
}

void add_run_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto& run = a.run;
  auto* cmd = app.add_subcommand(
      "run", "run an experiment's matrix (resumable; completed runs are skipped)");
  add_matrix_options(cmd, run);
  cmd->add_flag("--force", run.force,
                "rerun the plan's completed runs (teachers only with --force-teacher)");
  cmd->add_flag("--force-teacher", run.force_teacher,
                "retrain completed teachers too, and every student of them in the plan");
  cmd->add_flag("--replace-definition", run.replace_definition,
                "replace the experiment's stored definition even if it came from another file or "
                "loses rows that have results");
  cmd->add_flag("--dry-run", run.dry_run, "print the plan and exit; writes nothing");
  cmd->add_option("--device", run.device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--threads", run.threads, "intra-op threads in all (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--jobs,-j", run.jobs,
                  "runs trained at once, each in a worker process with threads/jobs threads "
                  "(default: the profile's \"jobs\", else one per core; 1 = in this process)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-table", run.no_table, "do not print the table after running");
  cmd->add_option(
      "--time-iterations", run.time_iterations,
      "benchmarks: append every main-loop iteration's seconds to FILE (JSON lines; runs in "
      "this process)");
  cmd->add_option("--profile-ops", run.profile_step,
                  "print the top LibTorch operators by self time of main-loop global step STEP "
                  "(0-based; runs in this process)")
      ->check(CLI::NonNegativeNumber);
  add_db(cmd, a);
  dispatch.emplace_back(cmd, [&a] { return cmd_run(a.common, a.run); });
}

int run_worker(const Args& a) {
  if (a.worker.run_id.empty() && a.worker.sweep.empty()) {
    fmt::print(
        stderr,
        "dfkd worker: give --run ID (a `dfkd run --jobs N` claim) or --sweep DIR (a Slurm task)\n");
    return 2;
  }
  return cmd_worker(a.common, a.worker);
}

void add_worker_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto& worker = a.worker;
  auto* cmd = app.add_subcommand(
      "worker", "train one run that `dfkd run --jobs N` claimed (started by dfkd itself)");
  auto* run = cmd->add_option("--run", worker.run_id, "run id a `dfkd run --jobs N` claimed");
  auto* sweep =
      cmd->add_option("--sweep", worker.sweep,
                      "sweep directory: train one of its tasks into its shard (Slurm array task)");
  run->excludes(sweep);
  cmd->add_option("--index", worker.index, "the sweep task (default: $SLURM_ARRAY_TASK_ID)")
      ->check(CLI::NonNegativeNumber)
      ->needs(sweep);
  cmd->add_option("--threads", worker.threads, "intra-op threads")->check(CLI::PositiveNumber);
  cmd->add_option("--device", worker.device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--position", worker.position, "the run's place in the plan, for progress lines");
  cmd->add_flag("--live-progress", worker.live_progress,
                "report progress as tagged lines for the parent's live display");
  add_db(cmd, a);
  dispatch.emplace_back(cmd, [&a] { return run_worker(a); });
}

void add_submit_options(CLI::App* cmd, SubmitArgs& submit) {
  auto& job = submit.job;
  cmd->add_option("--device", job.device, "auto, cpu or cuda (on the compute nodes)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--partition", job.partition, "Slurm partition (default: the cluster's)");
  cmd->add_option("--time", job.time,
                  "time limit per task, e.g. 04:00:00 (default: the partition's)");
  cmd->add_option("--cpus-per-task", job.cpus_per_task, "cores per task = the worker's threads")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--gpus-per-task", job.gpus_per_task, "GPUs per task (with --device cuda)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-parallel", job.max_parallel,
                  "tasks running at once per array (%K); 0 = no limit")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--warning-seconds", job.warning_seconds,
                  "SIGUSR1 this long before the time limit: checkpoint and requeue")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sbatch-arg", job.sbatch_args,
                  "extra sbatch option for every job, e.g. --account=lab (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--sweeps-dir", submit.sweeps_dir,
                  "where sweep directories go (default: <store dir>/sweeps)");
  cmd->add_flag("--dry-run", submit.run.dry_run,
                "print the plan and the sbatch commands; no sweep directory, nothing submitted");
  cmd->add_flag(
      "--no-ingest-job", submit.no_ingest_job,
      "no dependent ingest job: run `dfkd ingest SWEEP_DIR` where the results store lives");
}

void add_slurm_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto* slurm =
      app.add_subcommand("slurm", "run an experiment's matrix on a Slurm cluster (docs/slurm.md)");
  slurm->require_subcommand(1);
  auto* submit = slurm->add_subcommand("submit",
                                       "plan like `run`, then submit job arrays (teachers first) "
                                       "and an ingest job; returns at once");
  add_matrix_options(submit, a.submit.run);
  submit->add_flag(
      "--replace-definition", a.submit.run.replace_definition,
      "replace the experiment's stored definition (as `dfkd run --replace-definition`)");
  add_submit_options(submit, a.submit);
  add_db(submit, a);
  dispatch.emplace_back(submit, [&a] { return cmd_slurm_submit(a.common, a.submit); });
  auto* status =
      slurm->add_subcommand("status", "per task: queued / running / completed / failed / lost");
  status->add_option("sweep", a.sweep_dir, "sweep directory (printed by submit)")->required();
  status->add_option("--lost-after", a.lost_after,
                     "without Slurm: seconds without heartbeat that mean lost");
  add_db(status, a);
  dispatch.emplace_back(status,
                        [&a] { return cmd_slurm_status(a.common, a.sweep_dir, a.lost_after); });
}

void add_ingest_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto* cmd = app.add_subcommand(
      "ingest", "merge sweep shards or results archives into the results store (idempotent)");
  cmd->add_option("inputs", a.ingest.inputs, "sweep, shard or archive (`dfkd export`) directories")
      ->required();
  cmd->add_option(
         "--lost-after", a.ingest.lost_after,
         "shards without Slurm's view: seconds without heartbeat that mean lost (default 600)")
      ->check(CLI::NonNegativeNumber);
  add_db(cmd, a);
  dispatch.emplace_back(cmd, [&a] { return cmd_ingest(a.common, a.ingest); });
}

void add_export_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto& ex = a.export_args;
  auto* cmd = app.add_subcommand(
      "export",
      "copy an experiment's completed runs (and those that diverged) into a results archive that "
      "`dfkd ingest` merges into any store");
  cmd->add_option("experiment", ex.experiment, "experiment JSON file or name in the store")
      ->required();
  cmd->add_option("--out", ex.out, "archive directory (an existing archive there is replaced)")
      ->required();
  cmd->add_option("--profile", ex.profile, "profile (default: every profile with runs)");
  cmd->add_option("--artifacts", ex.artifacts,
                  "needed: model files only of runs other runs read (teachers); all: every "
                  "artifact file")
      ->check(CLI::IsMember({"needed", "all"}));
  add_db(cmd, a);
  dispatch.emplace_back(cmd, [&a] { return cmd_export(a.common, a.export_args); });
}

/// status, table and plot: views of one experiment, read from the store.
void add_report_commands(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto& report = a.report;
  auto* status = app.add_subcommand("status", "per cell: planned / running / completed / failed");
  status->add_option("experiment", report.experiment, "experiment JSON file or name in the store");
  status->add_option("--profile", report.profile, "profile (default: all)");
  status->add_flag("--summary", report.summary,
                   "a line per row and column: how many of its seeds are completed, planned, ...");
  add_db(status, a);
  dispatch.emplace_back(status, [&a] { return cmd_status(a.common, a.report); });

  auto* table = app.add_subcommand("table", "the experiment's table, from the store only");
  table->add_option("experiment", report.experiment, "experiment JSON file or name in the store")
      ->required();
  table->add_option("--profile", report.profile, "profile (default: the file's default)");
  table->add_option("--format", report.format, "md, latex, csv or json")
      ->check(CLI::IsMember({"md", "latex", "csv", "json"}));
  table->add_option("--compare-to", report.compare_to,
                    "a row: Welch's t-test of every other row against it, per column (diff, p)");
  table
      ->add_option("--selection", report.selection,
                   "which epoch a cell reads: final, best or best_val (test value at the epoch of "
                   "best val_accuracy); default: the experiment's metric.selection")
      ->check(CLI::IsMember({"final", "best", "best_val"}));
  table->add_option("--metric", report.metric,
                    "another per-epoch metric the runs log (e.g. teacher_top_class_fraction, "
                    "discrepancy), read by the same selection; the paper's numbers are dropped");
  add_db(table, a);
  dispatch.emplace_back(table, [&a] { return cmd_table(a.common, a.report); });

  auto* plot =
      app.add_subcommand("plot", "draw the experiment's figures (PNG + data + gnuplot script)");
  plot->add_option("experiment", report.experiment, "experiment JSON file or name in the store")
      ->required();
  plot->add_option("--profile", report.profile, "profile (default: the file's default)");
  plot->add_option("--out", report.out,
                   "output directory (default: <store dir>/figures/<experiment>/<profile>)");
  add_db(plot, a);
  dispatch.emplace_back(plot, [&a] { return cmd_plot(a.common, a.report); });
}

void add_site_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto& site = a.site;
  auto* cmd = app.add_subcommand(
      "report", "write a static HTML report (tables, figures, every run) that opens from disk");
  cmd->add_option("experiments", site.experiments,
                  "experiment JSON files or names in the store (default: every experiment there)");
  cmd->add_option("--profile", site.profile, "profile (default: every profile with runs)");
  cmd->add_option("--out", site.out, "output directory (default: results/report)");
  cmd->add_option("--compare-to", site.compare_to,
                  "a row: Welch's t-test of every other row against it, in tables that have it");
  cmd->add_option("--selection", site.selection, "final, best or best_val (as for `dfkd table`)")
      ->check(CLI::IsMember({"final", "best", "best_val"}));
  cmd->add_option(
      "--metric", site.metric,
      "another per-epoch metric (as for `dfkd table`), in every table whose runs log it");
  add_db(cmd, a);
  dispatch.emplace_back(cmd, [&a] { return cmd_report(a.common, a.site); });
}

void add_query_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto& query = a.query;
  auto* cmd =
      app.add_subcommand("query", "read-only SQL over the store (schema: results/README.md)");
  cmd->add_option("sql", query.sql, "one SQL statement")->required();
  cmd->add_option("--format", query.format, "md, csv or json")
      ->check(CLI::IsMember({"md", "csv", "json"}));
  cmd->add_option("--limit", query.limit,
                  "print at most this many rows (default 10000; 0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout", query.timeout,
                  "stop the query after this many seconds (default 60; 0 = none)")
      ->check(CLI::NonNegativeNumber);
  add_db(cmd, a);
  dispatch.emplace_back(cmd, [&a] { return cmd_query(a.common, a.query); });
}

void add_runs_command(CLI::App& app, Args& a, Dispatch& dispatch) {
  auto& runs = a.runs;
  auto* cmd = app.add_subcommand("runs", "list runs, newest first; `runs show ID` for one");
  cmd->add_option("--experiment", runs.experiment, "only this experiment");
  cmd->add_option("--status", runs.status, "only this status")
      ->check(CLI::IsMember({"planned", "running", "completed", "failed", "killed"}));
  add_db(cmd, a);
  auto* show = cmd->add_subcommand("show", "one run: config, metrics, artifacts");
  show->add_option("run_id", runs.show_id, "run id or unique prefix")->required();
  add_db(show, a);  // `runs show ID --db X` as well as `runs --db X show ID`
  dispatch.emplace_back(cmd, [&a] { return cmd_runs(a.common, a.runs); });
}

/// The given subcommand's exit code; errors become messages and codes 2 (configuration) or 1.
int run_given(const Dispatch& dispatch) {
  try {
    for (const auto& [cmd, run] : dispatch)
      if (*cmd) return run();
  } catch (const dfkd::ConfigError& e) {
    fmt::print(stderr, "dfkd: configuration error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dfkd: error: {}\n", e.what());
    return 1;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dfkd: data-free knowledge distillation experiments on LibTorch plugins"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return std::string("dfkd ") + version() + " (" + allocator_description() + ")";
  });

  Args args;
  Dispatch dispatch;
  add_plugins_command(app, args, dispatch);
  add_models_command(app, args, dispatch);
  add_run_command(app, args, dispatch);
  add_worker_command(app, args, dispatch);
  add_slurm_command(app, args, dispatch);
  add_ingest_command(app, args, dispatch);
  add_export_command(app, args, dispatch);
  add_report_commands(app, args, dispatch);
  add_site_command(app, args, dispatch);
  add_query_command(app, args, dispatch);
  add_runs_command(app, args, dispatch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return run_given(dispatch);
}
