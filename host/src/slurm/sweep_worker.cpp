#include "slurm/sweep_worker.hpp"

#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdlib>

#include "dfkd/errors.hpp"
#include "engine/engine.hpp"
#include "engine/environment.hpp"
#include "engine/signals.hpp"
#include "planner/dependencies.hpp"
#include "planner/progress.hpp"
#include "planner/run_matrix.hpp"
#include "slurm/sweep.hpp"
#include "util/subprocess.hpp"

namespace fs = std::filesystem;

namespace dfkd::host {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

int64_t env_int(const char* name, int64_t fallback) {
  const auto v = env_or(name, "");
  if (v.empty()) return fallback;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("${} is '{}', expected an integer", name, v));
  }
}

/// "<array job>_<index>", the id scontrol and squeue take for one array task.
std::string this_slurm_task() {
  const auto array_job = env_or("SLURM_ARRAY_JOB_ID", "");
  if (!array_job.empty()) return array_job + "_" + env_or("SLURM_ARRAY_TASK_ID", "");
  return env_or("SLURM_JOB_ID", "");
}

/// Makes a completed run the task reads (its teacher, its init_from run) available in the shard:
/// from the sweep's inputs store (completed before submission) or from the shard of the task
/// that trained it. Its model file is referenced where it lies, not copied. Returns "" on
/// success, else why not.
std::string borrow_run(const Sweep& sweep, const std::string& key, ResultsStore& shard) {
  if (auto have = shard.find_run_by_key(key); have && have->status == RunStatus::Completed)
    return "";
  std::string why = "not in the sweep's inputs";
  std::vector<fs::path> sources{sweep.inputs_db()};
  if (const auto* teacher_task = sweep.task_for_key(key)) {
    sources.push_back(sweep.shard_db(*teacher_task));
    why = fmt::format("task {}, which trains it, has not completed", teacher_task->index);
  }
  for (const auto& source : sources) {
    if (!fs::exists(source)) continue;
    const ResultsStore from(source, ResultsStore::Mode::ReadOnly);
    const auto run = from.find_run_by_key(key);
    if (!run) continue;
    if (run->status != RunStatus::Completed) {
      why = fmt::format("its shard says {}{}", to_string(run->status),
                        run->error.empty() ? "" : ": " + run->error);
      continue;
    }
    MergeOptions borrow;
    borrow.artifacts = MergeOptions::Artifacts::ReferenceInPlace;
    shard.merge_run(source, key, borrow);
    return "";
  }
  return why;
}

int task_index(const SweepWorkerOptions& opt) {
  if (opt.index >= 0) return opt.index;
  const int index = static_cast<int>(env_int("SLURM_ARRAY_TASK_ID", -1));
  if (index < 0)
    throw ConfigError(
        "dfkd worker --sweep: no --index and no $SLURM_ARRAY_TASK_ID; outside a Slurm array "
        "give the task with --index I");
  return index;
}

std::string host_name() {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  return host.data();
}

/// The task's run planned in its shard, with the experiment and the cells it fills.
RunRecord plan_in_shard(const Sweep& sweep, const SweepTask& task, ResultsStore& shard) {
  const auto& m = sweep.manifest();
  shard.upsert_experiment(m.experiment, m.experiment_definition.value("title", ""),
                          m.experiment_definition);
  auto run = shard.plan_run(task.plan);
  for (const auto& c : task.cells) shard.link_cell(c);
  return run;
}

/// The task's outcome as the shard recorded it, marked for ingest and status.
RunRecord mark_done(const ResultsStore& shard, const std::string& run_id, const fs::path& dir) {
  const auto rec = *shard.find_run(run_id);
  write_done_marker(dir, {rec.run_key, to_string(rec.status), rec.finished_at});
  return rec;
}

/// Whether the run can train: every run it reads (teacher, init_from) was borrowed into the
/// shard. Otherwise the run fails, saying why.
bool inputs_available(const Sweep& sweep, const SweepTask& task, ResultsStore& shard,
                      const RunRecord& run, const std::string& what, std::FILE* out) {
  std::string key, why;
  for (const auto& dep : dependencies_of(run)) {
    why = borrow_run(sweep, dep, shard);
    key = dep;
    if (!why.empty()) break;
  }
  if (why.empty()) return true;
  const auto error = fmt::format(
      "its {} run {} is not available: {}; `dfkd ingest` this sweep and "
      "`dfkd slurm submit` again to retrain both",
      key == run.parent_run_key ? "teacher" : "init_from", key.substr(0, 12), why);
  shard.end_run(run.run_id, RunStatus::Failed, error, 0);
  mark_done(shard, run.run_id, sweep.shard_dir(task));
  fmt::print(out, "{}  FAILED: {}\n", what, error);
  return false;
}

/// Slurm's warning before the time limit: the checkpoint is saved; put the task back in the
/// queue so it resumes (Slurm itself requeues only on node failure or preemption).
int requeue_after_warning(const RunRecord& rec, const std::string& what, std::FILE* out) {
  const auto job = this_slurm_task();
  const auto r = run_command({"scontrol", "requeue", job});
  if (r.exit_code == 0) {
    fmt::print(out, "{}  checkpointed after epoch {} on Slurm's warning signal; requeued {}\n",
               what, rec.epochs_done, job);
    return 0;
  }
  fmt::print(
      out,
      "{}  checkpointed after epoch {}, but `scontrol requeue {}` failed: {}; submit the sweep's "
      "experiment again to resume it\n",
      what, rec.epochs_done, job, r.output);
  return 1;
}

/// Trains the claimed run in its shard; returns the task's exit code.
int train_in_shard(const PluginHost& plugins, ResultsStore& shard, const RunRecord& run,
                   const torch::Device& device, const std::string& env_id, int index,
                   const fs::path& dir, const std::string& what, std::FILE* out) {
  shard.record_plugins(run.run_id, plugins_of(run.config.get<RunConfig>(), plugins));
  install_interrupt_handlers(/*slurm_warning_signal=*/true);
  Progress progress(out, /*lines_only=*/true);
  const std::string position = fmt::format("[task {}]", index);
  Engine engine(plugins, shard, EngineOptions{device, env_id, [&](const EpochReport& r) {
                                                progress.epoch(r, position);
                                              }});
  fmt::print(out, "{}  attempt {} on {} (Slurm job {}), shard {}\n", what, run.attempt, host_name(),
             this_slurm_task(), dir.string());
  std::fflush(out);
  const auto outcome = engine.execute(run);
  if (outcome != RunOutcome::Killed) {
    const auto rec = mark_done(shard, run.run_id, dir);
    fmt::print(out, "{}  {}{}\n", what, to_string(rec.status),
               rec.error.empty() ? "" : ": " + rec.error);
    return outcome == RunOutcome::Completed ? 0 : 1;
  }
  const auto rec = *shard.find_run(run.run_id);
  if (interrupt_signal() == SIGUSR1) return requeue_after_warning(rec, what, out);
  fmt::print(out, "{}  killed: {}\n", what, rec.error);
  return 130;
}

}  // namespace

int run_sweep_task(const PluginHost& plugins, const SweepWorkerOptions& opt, std::FILE* out) {
  const Sweep sweep = Sweep::open(opt.sweep_dir);
  const int index = task_index(opt);
  const SweepTask& task = sweep.task(index);
  const int64_t restarts = env_int("SLURM_RESTART_COUNT", 0);
  const fs::path dir = sweep.shard_dir(task);
  fs::create_directories(dir);
  if (const auto done = read_done_marker(dir)) {
    fmt::print(out, "dfkd: task {} ({}) already finished: {}\n", index,
               task.plan.run_key.substr(0, 12), done->status);
    return done->status == "completed" ? 0 : 1;
  }
  write_shard_info(dir, {task.plan.run_key, sweep.manifest().sweep_id, this_slurm_task(),
                         host_name(), index, restarts});

  // Rollback journal: the shard may sit on NFS/Lustre, and it has exactly one writer (this task).
  ResultsStore shard(sweep.shard_db(task), ResultsStore::Mode::ReadWrite,
                     ResultsStore::Journal::Rollback);
  auto run = plan_in_shard(sweep, task, shard);
  torch::set_num_threads(std::max(1, opt.threads));
  const auto device = resolve_device(opt.device);
  const auto env_id = shard.ensure_environment(probe_environment(device.str(), opt.threads));
  // Single writer by construction: whatever the shard says is running died with the last attempt.
  if (!shard.claim_run(run.run_id, env_id, /*stale_after_seconds=*/-1, restarts + 1)) {
    fmt::print(out, "dfkd: task {}: the shard's run is already completed\n", index);
    mark_done(shard, run.run_id, dir);
    return 0;
  }
  run = *shard.find_run(run.run_id);
  run.row = task.plan.row;
  const std::string what =
      fmt::format("[task {}/{}] {}", index, sweep.tasks().size() - 1, run_label(run));
  if (!inputs_available(sweep, task, shard, run, what, out)) return 1;
  return train_in_shard(plugins, shard, run, device, env_id, index, dir, what, out);
}

}  // namespace dfkd::host
