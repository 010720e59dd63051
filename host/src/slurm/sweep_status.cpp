#include "slurm/sweep_status.hpp"

#include <fmt/format.h>

#include <map>

#include "slurm/task_state.hpp"

namespace fs = std::filesystem;

namespace dfkd::host {

int print_sweep_status(const fs::path& sweep_dir, const fs::path& store_path,
                       double lost_after_seconds, std::FILE* out) {
  const Sweep sweep = Sweep::open(sweep_dir);
  const auto& m = sweep.manifest();
  std::vector<std::string> jobs;
  for (const auto& a : m.arrays) jobs.push_back(a.job_id);
  jobs.push_back(m.ingest_job_id);
  const auto queue = SlurmQueue::query(jobs);

  const fs::path main_db = store_path.empty() ? m.store : store_path;
  std::unique_ptr<ResultsStore> store;
  if (fs::exists(main_db))
    store = std::make_unique<ResultsStore>(main_db, ResultsStore::Mode::ReadOnly);

  fmt::print(out, "sweep {} ({} profile {}, {} tasks), created {}\n", m.sweep_id, m.experiment,
             m.profile, sweep.tasks().size(), m.created_at);
  for (size_t i = 0; i < m.arrays.size(); ++i)
    fmt::print(out, "  array job {:<8} tasks {}-{}{}\n",
               m.arrays[i].job_id.empty() ? "-" : m.arrays[i].job_id, m.arrays[i].first,
               m.arrays[i].last, i ? fmt::format(" (after job {})", m.arrays[i - 1].job_id) : "");
  if (!m.ingest_job_id.empty()) {
    const auto s = queue.raw_state(m.ingest_job_id);
    fmt::print(out, "  ingest job {:<7} {}\n", m.ingest_job_id,
               s.empty() ? (queue.available()
                                ? "finished (its log: logs/ingest-" + m.ingest_job_id + ".out)"
                                : "unknown (Slurm not reachable)")
                         : s);
  }
  if (!queue.available())
    fmt::print(out, "  {}: states come from the shards alone\n", queue.unavailable_reason());
  fmt::print(out, "  {:<5} {:<14} {:<16} {:<5} {:<11} {:<9} {}\n", "TASK", "ROW", "COLUMN", "SEED",
             "STATE", "INGESTED", "DETAIL");
  std::map<std::string, int> totals;
  int unfinished = 0;
  for (const auto& task : sweep.tasks()) {
    const auto state = classify_task(sweep, task, queue, lost_after_seconds);
    std::string ingested = "-";
    if (store)
      if (auto run = store->find_run_by_key(task.plan.run_key))
        ingested = run->status == RunStatus::Completed ? "yes" : to_string(run->status);
    ++totals[to_string(state.kind)];
    if (state.kind != TaskState::Kind::Completed) ++unfinished;
    fmt::print(out, "  {:<5} {:<14} {:<16} {:<5} {:<11} {:<9} {}\n", task.index,
               task.plan.row.empty() ? task.plan.role : task.plan.row, task.plan.column,
               task.plan.seed, to_string(state.kind), ingested, state.detail);
  }
  std::string t;
  for (const auto& [k, v] : totals) t += fmt::format("{}{} {}", t.empty() ? "" : ", ", v, k);
  fmt::print(out, "  total: {}\n", t);
  if (totals.count("lost") || totals.count("failed"))
    fmt::print(out,
               "  lost and failed runs are planned again by the next `dfkd slurm submit` of the "
               "experiment "
               "(after `dfkd ingest {}`)\n",
               sweep.dir().string());
  return unfinished;
}

}  // namespace dfkd::host
