#include "slurm/slurm_queue.hpp"

#include <fmt/format.h>

#include <sstream>
#include <stdexcept>

#include "util/subprocess.hpp"

namespace dfkd::host {

SlurmQueue SlurmQueue::query(const std::vector<std::string>& job_ids) {
  SlurmQueue q;
  if (!on_path("squeue")) {
    q.unavailable_reason_ = "squeue is not on PATH";
    return q;
  }
  q.available_ = true;
  for (const auto& id : job_ids) {
    if (id.empty()) continue;
    // One call per job: squeue fails as a whole when any listed id has left the queue.
    const auto r = run_command({"squeue", "-h", "-r", "-j", id, "-o", "%F|%K|%T"});
    if (r.exit_code != 0) {
      if (r.output.find("Invalid job id") != std::string::npos) continue;  // finished and purged
      // The controller did not answer: knowing nothing is not "gone", so fall back to the shards'
      // heartbeats rather than call running tasks lost.
      q.available_ = false;
      q.states_.clear();
      q.unavailable_reason_ = fmt::format("squeue failed: {}", r.output);
      return q;
    }
    std::istringstream lines(r.output);
    std::string line;
    while (std::getline(lines, line)) {
      const auto a = line.find('|'), b = line.rfind('|');
      if (a == std::string::npos || a == b) continue;
      const std::string job = line.substr(0, a), index = line.substr(a + 1, b - a - 1);
      int i = -1;
      try {
        i = index == "N/A" ? -1 : std::stoi(index);
      } catch (const std::exception&) {
        continue;
      }
      q.states_[{job, i}] = line.substr(b + 1);
    }
  }
  return q;
}

std::string SlurmQueue::raw_state(const std::string& job_id, int index) const {
  const auto it = states_.find({job_id, index});
  return it == states_.end() ? std::string() : it->second;
}

QueueState SlurmQueue::state(const std::string& job_id, int index) const {
  const auto s = raw_state(job_id, index);
  if (s.empty()) return QueueState::Gone;
  for (const char* running : {"RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING"})
    if (s == running) return QueueState::Running;
  // PREEMPTED and NODE_FAIL are not here: with --requeue the task comes back, so they count as
  // queued.
  for (const char* done : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "BOOT_FAIL", "DEADLINE",
                           "OUT_OF_MEMORY", "REVOKED"})
    if (s == done) return QueueState::Gone;
  return QueueState::Queued;  // PENDING, REQUEUED, CONFIGURING, SUSPENDED, *_HOLD, ...
}

std::string sbatch(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_command(argv);
  std::string command;
  for (const auto& a : argv) command += (command.empty() ? "" : " ") + shell_quote(a);
  if (r.exit_code != 0)
    throw std::runtime_error(
        fmt::format("`{}` failed (exit {}): {}", command, r.exit_code, r.output));
  // --parsable prints "jobid" or "jobid;cluster", possibly after warnings on earlier lines.
  const auto last_line = r.output.substr(
      r.output.find_last_of('\n') == std::string::npos ? 0 : r.output.find_last_of('\n') + 1);
  const auto id = last_line.substr(0, last_line.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(fmt::format("`{}` printed no job id: {}", command, r.output));
  return id;
}

void scancel(const std::vector<std::string>& job_ids) {
  std::vector<std::string> argv{"scancel"};
  for (const auto& id : job_ids)
    if (!id.empty()) argv.push_back(id);
  if (argv.size() > 1) run_command(argv);
}

}  // namespace dfkd::host
