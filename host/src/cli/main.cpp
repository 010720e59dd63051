// dfkd: the command-line front end. Parsing and dispatch only; the work lives in libdfkd_host.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>

#include "cli/commands.hpp"
#include "dfkd/errors.hpp"

int main(int argc, char** argv) {
  using namespace dfkd::cli;
  CLI::App app{"dfkd: data-free knowledge distillation experiments on LibTorch plugins"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return std::string("dfkd ") + version() + " (" + allocator_description() + ")"; });

  Common common;
  auto add_db = [&](CLI::App* cmd) {
    cmd->add_option("--db", common.db, "results store (default: $DFKD_DB or results/results.db)");
  };

  bool plugins_json = false;
  auto* plugins = app.add_subcommand("plugins", "list loaded plugins and load failures");
  plugins->add_flag("--json", plugins_json, "machine-readable, with every option");

  ReportArgs models_args;
  bool models_json = false;
  auto* models = app.add_subcommand("models", "MACs and parameters of an experiment's networks, beside the paper's");
  models->add_option("experiment", models_args.experiment, "experiment JSON file")->required();
  models->add_option("--profile", models_args.profile, "profile (default: the file's default)");
  models->add_flag("--json", models_json, "machine-readable");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "run an experiment's matrix (resumable; completed runs are skipped)");
  run_cmd->add_option("experiment", run.experiment, "experiment JSON file")->required();
  run_cmd->add_option("--profile", run.profile, "profile (default: the file's default_profile)");
  run_cmd->add_option("--seeds", run.seeds, "number of seeds (default: the profile's)")->check(CLI::PositiveNumber);
  run_cmd->add_option("--only", run.rows, "rows to run, comma separated")->delimiter(',');
  run_cmd->add_option("--dataset", run.columns, "columns to run, comma separated")->delimiter(',');
  run_cmd->add_flag("--force", run.force, "rerun the plan's completed runs (teachers only with --force-teacher)");
  run_cmd->add_flag("--force-teacher", run.force_teacher,
                    "retrain completed teachers too, and every student of them in the plan");
  run_cmd->add_flag("--replace-definition", run.replace_definition,
                    "replace the experiment's stored definition even if it came from another file or "
                    "loses rows that have results");
  run_cmd->add_flag("--dry-run", run.dry_run, "print the plan and exit; writes nothing");
  run_cmd->add_option("--device", run.device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  run_cmd->add_option("--threads", run.threads, "intra-op threads in all (default: all cores)")->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--jobs,-j", run.jobs,
                      "runs trained at once, each in a worker process with threads/jobs threads "
                      "(default: one per core; 1 = in this process)")
      ->check(CLI::NonNegativeNumber);
  run_cmd->add_flag("--no-table", run.no_table, "do not print the table after running");
  run_cmd->add_option("--time-iterations", run.time_iterations,
                      "benchmarks: append every main-loop iteration's seconds to FILE (JSON lines; runs in "
                      "this process)");
  run_cmd->add_option("--profile-ops", run.profile_step,
                      "print the top LibTorch operators by self time of main-loop global step STEP "
                      "(0-based; runs in this process)")
      ->check(CLI::NonNegativeNumber);
  add_db(run_cmd);

  WorkerArgs worker;
  auto* worker_cmd = app.add_subcommand("worker", "train one run that `dfkd run --jobs N` claimed (started by dfkd itself)");
  auto* worker_run = worker_cmd->add_option("--run", worker.run_id, "run id a `dfkd run --jobs N` claimed");
  auto* worker_sweep = worker_cmd->add_option("--sweep", worker.sweep, "sweep directory: train one of its tasks into its shard (Slurm array task)");
  worker_run->excludes(worker_sweep);
  worker_cmd->add_option("--index", worker.index, "the sweep task (default: $SLURM_ARRAY_TASK_ID)")
      ->check(CLI::NonNegativeNumber)->needs(worker_sweep);
  worker_cmd->add_option("--threads", worker.threads, "intra-op threads")->check(CLI::PositiveNumber);
  worker_cmd->add_option("--device", worker.device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  worker_cmd->add_option("--position", worker.position, "the run's place in the plan, for progress lines");
  add_db(worker_cmd);

  SubmitArgs submit;
  std::string sweep_dir;
  double lost_after = dfkd::host::kDefaultLostAfterSeconds;
  auto* slurm = app.add_subcommand("slurm", "run an experiment's matrix on a Slurm cluster (docs/slurm.md)");
  slurm->require_subcommand(1);
  auto* submit_cmd = slurm->add_subcommand(
      "submit", "plan like `run`, then submit job arrays (teachers first) and an ingest job; returns at once");
  submit_cmd->add_option("experiment", submit.run.experiment, "experiment JSON file")->required();
  submit_cmd->add_option("--profile", submit.run.profile, "profile (default: the file's default_profile)");
  submit_cmd->add_option("--seeds", submit.run.seeds, "number of seeds (default: the profile's)")->check(CLI::PositiveNumber);
  submit_cmd->add_option("--only", submit.run.rows, "rows to run, comma separated")->delimiter(',');
  submit_cmd->add_option("--dataset", submit.run.columns, "columns to run, comma separated")->delimiter(',');
  submit_cmd->add_flag("--replace-definition", submit.run.replace_definition,
                       "replace the experiment's stored definition (as `dfkd run --replace-definition`)");
  submit_cmd->add_option("--device", submit.job.device, "auto, cpu or cuda (on the compute nodes)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  submit_cmd->add_option("--partition", submit.job.partition, "Slurm partition (default: the cluster's)");
  submit_cmd->add_option("--time", submit.job.time, "time limit per task, e.g. 04:00:00 (default: the partition's)");
  submit_cmd->add_option("--cpus-per-task", submit.job.cpus_per_task, "cores per task = the worker's threads")
      ->check(CLI::PositiveNumber);
  submit_cmd->add_option("--gpus-per-task", submit.job.gpus_per_task, "GPUs per task (with --device cuda)")
      ->check(CLI::NonNegativeNumber);
  submit_cmd->add_option("--max-parallel", submit.job.max_parallel, "tasks running at once per array (%K); 0 = no limit")
      ->check(CLI::NonNegativeNumber);
  submit_cmd->add_option("--warning-seconds", submit.job.warning_seconds,
                         "SIGUSR1 this long before the time limit: checkpoint and requeue")
      ->check(CLI::PositiveNumber);
  submit_cmd->add_option("--sbatch-arg", submit.job.sbatch_args, "extra sbatch option for every job, e.g. --account=lab (repeatable)")
      ->allow_extra_args(false);
  submit_cmd->add_option("--sweeps-dir", submit.sweeps_dir, "where sweep directories go (default: <store dir>/sweeps)");
  submit_cmd->add_flag("--dry-run", submit.run.dry_run,
                       "print the plan and the sbatch commands; no sweep directory, nothing submitted");
  submit_cmd->add_flag("--no-ingest-job", submit.no_ingest_job,
                       "no dependent ingest job: run `dfkd ingest SWEEP_DIR` where the results store lives");
  add_db(submit_cmd);
  auto* slurm_status = slurm->add_subcommand("status", "per task: queued / running / completed / failed / lost");
  slurm_status->add_option("sweep", sweep_dir, "sweep directory (printed by submit)")->required();
  slurm_status->add_option("--lost-after", lost_after, "without Slurm: seconds without heartbeat that mean lost");
  add_db(slurm_status);

  IngestArgs ingest;
  auto* ingest_cmd = app.add_subcommand("ingest", "merge sweep shards into the results store (idempotent)");
  ingest_cmd->add_option("inputs", ingest.inputs, "sweep directories or shard directories")->required();
  ingest_cmd->add_option("--lost-after", ingest.lost_after,
                         "shards without Slurm's view: seconds without heartbeat that mean lost (default 600)")
      ->check(CLI::NonNegativeNumber);
  add_db(ingest_cmd);

  ReportArgs report;
  auto* status = app.add_subcommand("status", "per cell: planned / running / completed / failed");
  status->add_option("experiment", report.experiment, "experiment JSON file or name in the store");
  status->add_option("--profile", report.profile, "profile (default: all)");
  add_db(status);

  auto* table = app.add_subcommand("table", "the experiment's table, from the store only");
  table->add_option("experiment", report.experiment, "experiment JSON file or name in the store")->required();
  table->add_option("--profile", report.profile, "profile (default: the file's default)");
  table->add_option("--format", report.format, "md, latex, csv or json")->check(CLI::IsMember({"md", "latex", "csv", "json"}));
  add_db(table);

  auto* plot = app.add_subcommand("plot", "draw the experiment's figures (PNG + data + gnuplot script)");
  plot->add_option("experiment", report.experiment, "experiment JSON file or name in the store")->required();
  plot->add_option("--profile", report.profile, "profile (default: the file's default)");
  plot->add_option("--out", report.out, "output directory (default: <store dir>/figures/<experiment>/<profile>)");
  add_db(plot);

  QueryArgs query_args;
  auto* query = app.add_subcommand("query", "read-only SQL over the store (schema: results/README.md)");
  query->add_option("sql", query_args.sql, "one SQL statement")->required();
  query->add_option("--format", query_args.format, "md, csv or json")->check(CLI::IsMember({"md", "csv", "json"}));
  query->add_option("--limit", query_args.limit, "print at most this many rows (default 10000; 0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  query->add_option("--timeout", query_args.timeout, "stop the query after this many seconds (default 60; 0 = none)")
      ->check(CLI::NonNegativeNumber);
  add_db(query);

  RunsArgs runs;
  auto* runs_cmd = app.add_subcommand("runs", "list runs, newest first; `runs show ID` for one");
  runs_cmd->add_option("--experiment", runs.experiment, "only this experiment");
  runs_cmd->add_option("--status", runs.status, "only this status")
      ->check(CLI::IsMember({"planned", "running", "completed", "failed", "killed"}));
  add_db(runs_cmd);
  auto* show = runs_cmd->add_subcommand("show", "one run: config, metrics, artifacts");
  show->add_option("run_id", runs.show_id, "run id or unique prefix")->required();
  add_db(show);  // `runs show ID --db X` as well as `runs --db X show ID`

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    if (*plugins) return cmd_plugins(plugins_json);
    if (*models) return cmd_models(models_args, models_json);
    if (*run_cmd) return cmd_run(common, run);
    if (*worker_cmd) {
      if (worker.run_id.empty() && worker.sweep.empty()) {
        fmt::print(stderr, "dfkd worker: give --run ID (a `dfkd run --jobs N` claim) or --sweep DIR (a Slurm task)\n");
        return 2;
      }
      return cmd_worker(common, worker);
    }
    if (*submit_cmd) return cmd_slurm_submit(common, submit);
    if (*slurm_status) return cmd_slurm_status(common, sweep_dir, lost_after);
    if (*ingest_cmd) return cmd_ingest(common, ingest);
    if (*status) return cmd_status(common, report);
    if (*table) return cmd_table(common, report);
    if (*plot) return cmd_plot(common, report);
    if (*query) return cmd_query(common, query_args);
    if (*runs_cmd) return cmd_runs(common, runs);
  } catch (const dfkd::ConfigError& e) {
    fmt::print(stderr, "dfkd: configuration error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dfkd: error: {}\n", e.what());
    return 1;
  }
  return 2;
}
