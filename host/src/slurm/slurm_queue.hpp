#pragma once
/// The Slurm client commands dfkd calls: sbatch to submit, squeue for what is queued or running,
/// scontrol to requeue a task. Finished jobs leave squeue; their outcome lives in the shards.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dfkd::host {

enum class QueueState { Queued, Running, Gone };

class SlurmQueue {
 public:
  /// Asks squeue about `job_ids` (array jobs are expanded per task). Without squeue on PATH, or
  /// when the controller does not answer, the queue is unavailable and every task's state comes
  /// from its shard alone.
  static SlurmQueue query(const std::vector<std::string>& job_ids);
  bool available() const { return available_; }
  const std::string& unavailable_reason() const { return unavailable_reason_; }
  /// Array task `index` of `job_id`, or the plain job `job_id` when index < 0.
  QueueState state(const std::string& job_id, int index = -1) const;
  /// squeue's word for it ("PENDING", "RUNNING", ...), "" if not in the queue.
  std::string raw_state(const std::string& job_id, int index = -1) const;

 private:
  bool available_ = false;
  std::string unavailable_reason_;
  std::map<std::pair<std::string, int>, std::string> states_;
};

/// Runs `sbatch --parsable ARGS...`; returns the job id. Throws std::runtime_error with sbatch's
/// own message when it refuses.
std::string sbatch(const std::vector<std::string>& args);

/// Cancels jobs (best effort, used to undo a half-submitted sweep).
void scancel(const std::vector<std::string>& job_ids);

}  // namespace dfkd::host
