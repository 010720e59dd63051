#pragma once
/// Where one task of a sweep stands, from Slurm's queue and the task's shard: the single rule
/// `dfkd slurm status`, `dfkd ingest` and the next `dfkd slurm submit` share.
#include <optional>
#include <string>

#include "slurm/slurm_queue.hpp"
#include "slurm/sweep.hpp"

namespace dfkd::host {

struct TaskState {
  enum class Kind {
    Queued,      ///< pending in Slurm (first time or requeued)
    Running,     ///< running in Slurm
    Completed,   ///< the shard holds the completed run
    Failed,      ///< the shard holds the failed run (its error says why)
    Lost,        ///< neither queued nor running, and no outcome: cancelled, node lost, killed
    InProgress,  ///< Slurm not reachable from here, heartbeat fresh
    NotStarted,  ///< Slurm not reachable from here, no shard yet
  } kind = Kind::NotStarted;
  std::string detail;            ///< e.g. "epoch 3/20, heartbeat 5 s ago"
  std::optional<RunRecord> run;  ///< the shard's own run, if the shard exists
  bool has_shard = false;
  /// Why run.db could not be opened here (e.g. a schema older than read-only opens accept, which
  /// merging still reads); empty if it was read.
  std::string read_error;
};

const char* to_string(TaskState::Kind kind);

/// Without Slurm's view, a non-finished shard whose heartbeat is older than this counts as lost.
constexpr double kDefaultLostAfterSeconds = 600;

/// From the shard directory alone: completed / failed / in progress / lost / not started. What
/// ingest uses for shards copied out of their sweep.
TaskState classify_shard(const std::filesystem::path& shard_dir, const std::string& run_key,
                         double lost_after_seconds);

/// The shard's state corrected by Slurm's queue (queued, running, or gone without an outcome).
TaskState classify_task(const Sweep& sweep, const SweepTask& task, const SlurmQueue& queue,
                        double lost_after_seconds);

}  // namespace dfkd::host
