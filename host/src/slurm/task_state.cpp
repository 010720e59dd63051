#include "slurm/task_state.hpp"

#include <fmt/format.h>

namespace dfkd::host {
namespace {

int64_t epochs_of(const RunRecord& run) {
  return run.config.contains("train") ? run.config["train"].value("epochs", int64_t{0}) : 0;
}

/// For live tasks: where it is now.
std::string progress_of(const RunRecord& run) {
  return fmt::format("{} after epoch {}/{} (attempt {}), heartbeat {:.0f} s ago", to_string(run.status),
                     run.epochs_done, epochs_of(run), run.attempt, run.heartbeat_age_seconds);
}

/// For lost tasks: only what the shard recorded, no clock-dependent text, so the lost reason an
/// ingest writes is the same every time (ingesting twice changes nothing).
std::string last_record_of(const RunRecord& run) {
  return fmt::format("{} after epoch {}/{} (attempt {}), last heartbeat {}", to_string(run.status), run.epochs_done,
                     epochs_of(run), run.attempt, run.heartbeat_at.empty() ? "never" : run.heartbeat_at);
}

}  // namespace

const char* to_string(TaskState::Kind kind) {
  switch (kind) {
    case TaskState::Kind::Queued: return "queued";
    case TaskState::Kind::Running: return "running";
    case TaskState::Kind::Completed: return "completed";
    case TaskState::Kind::Failed: return "failed";
    case TaskState::Kind::Lost: return "lost";
    case TaskState::Kind::InProgress: return "in progress";
    case TaskState::Kind::NotStarted: return "not started";
  }
  return "unknown";
}

TaskState classify_task(const Sweep& sweep, const SweepTask& task, const SlurmQueue& queue,
                        double lost_after_seconds) {
  using Kind = TaskState::Kind;
  TaskState s;
  const auto dir = sweep.shard_dir(task);
  const auto done = read_done_marker(dir);
  std::string unreadable;  // a shard a crashed writer left with a hot journal cannot be read here
  if (std::filesystem::exists(sweep.shard_db(task))) {
    s.has_shard = true;
    try {
      ResultsStore shard(sweep.shard_db(task), ResultsStore::Mode::ReadOnly);
      s.run = shard.find_run_by_key(task.plan.run_key);
    } catch (const std::exception& e) {
      unreadable = e.what();
    }
  }
  const bool finished = s.run && (s.run->status == RunStatus::Completed || s.run->status == RunStatus::Failed);
  if (done || finished) {
    const bool completed = finished ? s.run->status == RunStatus::Completed : done->status == "completed";
    s.kind = completed ? Kind::Completed : Kind::Failed;
    if (s.run && !completed) s.detail = s.run->error;
    return s;
  }
  const std::string job = sweep.job_of(task.index);
  if (queue.available() && !job.empty()) {
    switch (queue.state(job, task.index)) {
      case QueueState::Queued:
        s.kind = Kind::Queued;
        s.detail = s.run ? "requeued; " + progress_of(*s.run) : queue.raw_state(job, task.index);
        return s;
      case QueueState::Running:
        s.kind = Kind::Running;
        s.detail = s.run ? progress_of(*s.run) : "starting";
        return s;
      case QueueState::Gone:
        s.kind = Kind::Lost;
        s.detail = fmt::format("job {}_{} left Slurm's queue without a completion marker; {}", job, task.index,
                               s.run ? last_record_of(*s.run)
                               : unreadable.empty() ? "it never started (cancelled while pending?)"
                                                    : "its shard cannot be read: " + unreadable);
        return s;
    }
  }
  if (!unreadable.empty()) {
    s.kind = Kind::Lost;
    s.detail = "its shard cannot be read: " + unreadable;
    return s;
  }
  if (!s.run) {
    s.kind = Kind::NotStarted;
    s.detail = "no shard yet";
    return s;
  }
  if (s.run->heartbeat_age_seconds < lost_after_seconds && !s.run->heartbeat_at.empty()) {
    s.kind = Kind::InProgress;
    s.detail = progress_of(*s.run);
  } else {
    s.kind = Kind::Lost;
    s.detail = fmt::format("no completion marker and no heartbeat for more than {:.0f} s; {}", lost_after_seconds,
                           last_record_of(*s.run));
  }
  return s;
}

}  // namespace dfkd::host
