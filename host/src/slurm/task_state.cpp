#include "slurm/task_state.hpp"

#include <fmt/format.h>

#include "config/run_config.hpp"
#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

int64_t epochs_of(const RunRecord& run) {
  // A shard's record is read as it is: a config that does not parse shows 0 epochs instead of
  // hiding the task's state behind an error.
  try {
    return run.config.get<RunConfig>().train.epochs;
  } catch (const ConfigError&) {
    return 0;
  }
}

/// For live tasks: where it is now.
std::string progress_of(const RunRecord& run) {
  return fmt::format("{} after epoch {}/{} (attempt {}), heartbeat {:.0f} s ago",
                     to_string(run.status), run.epochs_done, epochs_of(run), run.attempt,
                     run.heartbeat_age_seconds);
}

/// For lost tasks: only what the shard recorded, no clock-dependent text, so the lost reason an
/// ingest writes is the same every time (ingesting twice changes nothing).
std::string last_record_of(const RunRecord& run) {
  return fmt::format("{} after epoch {}/{} (attempt {}), last heartbeat {}", to_string(run.status),
                     run.epochs_done, epochs_of(run), run.attempt,
                     run.heartbeat_at.empty() ? "never" : run.heartbeat_at);
}

}  // namespace

const char* to_string(TaskState::Kind kind) {
  switch (kind) {
    case TaskState::Kind::Queued:
      return "queued";
    case TaskState::Kind::Running:
      return "running";
    case TaskState::Kind::Completed:
      return "completed";
    case TaskState::Kind::Failed:
      return "failed";
    case TaskState::Kind::Lost:
      return "lost";
    case TaskState::Kind::InProgress:
      return "in progress";
    case TaskState::Kind::NotStarted:
      return "not started";
  }
  return "unknown";
}

TaskState classify_shard(const std::filesystem::path& shard_dir, const std::string& run_key,
                         double lost_after_seconds) {
  using Kind = TaskState::Kind;
  TaskState s;
  const auto done = read_done_marker(shard_dir);
  if (std::filesystem::exists(shard_dir / "run.db")) {
    s.has_shard = true;
    try {
      ResultsStore shard(shard_dir / "run.db", ResultsStore::Mode::ReadOnly);
      s.run = shard.find_run_by_key(run_key);
    } catch (const std::exception& e) {
      // A shard a crashed writer left with a hot journal cannot be read here.
      s.kind = Kind::Lost;
      s.read_error = e.what();
      s.detail = fmt::format("its shard cannot be read: {}", e.what());
      if (!done) return s;
    }
  }
  const bool finished =
      s.run && (s.run->status == RunStatus::Completed || s.run->status == RunStatus::Failed);
  if (done || finished) {
    const bool completed =
        finished ? s.run->status == RunStatus::Completed : done->status == "completed";
    s.kind = completed ? Kind::Completed : Kind::Failed;
    s.detail = s.run && !completed ? s.run->error : "";
  } else if (!s.run) {
    s.kind = Kind::NotStarted;
    s.detail = "no shard yet";
  } else if (s.run->heartbeat_age_seconds < lost_after_seconds && !s.run->heartbeat_at.empty()) {
    s.kind = Kind::InProgress;
    s.detail = progress_of(*s.run);
  } else {
    s.kind = Kind::Lost;
    s.detail = fmt::format("no completion marker and no heartbeat for more than {:.0f} s; {}",
                           lost_after_seconds, last_record_of(*s.run));
  }
  return s;
}

TaskState classify_task(const Sweep& sweep, const SweepTask& task, const SlurmQueue& queue,
                        double lost_after_seconds) {
  using Kind = TaskState::Kind;
  TaskState s = classify_shard(sweep.shard_dir(task), task.plan.run_key, lost_after_seconds);
  const std::string job = sweep.job_of(task.index);
  if (s.kind == Kind::Completed || s.kind == Kind::Failed || !queue.available() || job.empty())
    return s;
  // Slurm knows better than a heartbeat whether the task is still coming.
  switch (queue.state(job, task.index)) {
    case QueueState::Queued:
      s.kind = Kind::Queued;
      s.detail = s.run ? "requeued; " + progress_of(*s.run) : queue.raw_state(job, task.index);
      break;
    case QueueState::Running:
      s.kind = Kind::Running;
      s.detail = s.run ? progress_of(*s.run) : "starting";
      break;
    case QueueState::Gone:
      s.detail = fmt::format(
          "job {}_{} left Slurm's queue without a completion marker; {}", job, task.index,
          s.run                  ? last_record_of(*s.run)
          : s.kind == Kind::Lost ? s.detail  // unreadable shard
                                 : "it never started (cancelled while pending?)");
      s.kind = Kind::Lost;
      break;
  }
  return s;
}

}  // namespace dfkd::host
