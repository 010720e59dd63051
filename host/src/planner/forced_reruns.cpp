#include "planner/forced_reruns.hpp"

#include <fmt/format.h>

#include "planner/dependencies.hpp"

namespace dfkd::host {

ForcedReruns plan_forced_reruns(const std::vector<RunRecord>& runs, const ResultsStore* store,
                                bool force, bool force_teacher) {
  ForcedReruns out;
  std::set<std::string> in_plan, teachers;
  int kept_teachers = 0, dependents = 0;
  for (const auto& r : runs) {
    in_plan.insert(r.run_key);
    if (r.status != RunStatus::Completed || r.role != "teacher") continue;
    if (force_teacher) {
      teachers.insert(r.run_key);
      out.run_keys.insert(r.run_key);
    } else if (force) {
      ++kept_teachers;
    }
  }
  for (const auto& r : runs)
    if (force && r.status == RunStatus::Completed && r.role != "teacher")
      out.run_keys.insert(r.run_key);
  // A run that read weights being replaced (its teacher's, its init_from run's) is retrained
  // too, and so on down the chain (fine-tuning phases read students).
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& r : runs) {
      if (r.status != RunStatus::Completed || out.run_keys.count(r.run_key)) continue;
      for (const auto& dep : dependencies_of(r))
        if (out.run_keys.count(dep)) {
          out.run_keys.insert(r.run_key);
          ++dependents;
          grew = true;
          break;
        }
    }
  }
  if (kept_teachers > 0)
    out.notes.push_back(
        fmt::format("--force keeps {} completed teacher{} (students learned from their weights); "
                    "add --force-teacher to retrain {} and every student of {} in this plan",
                    kept_teachers, kept_teachers == 1 ? "" : "s",
                    kept_teachers == 1 ? "it" : "them", kept_teachers == 1 ? "it" : "them"));
  if (dependents > 0)
    out.notes.push_back(
        fmt::format("--force-teacher: {} completed student{} of the retrained teacher{} in this "
                    "plan {} retrained too",
                    dependents, dependents == 1 ? "" : "s", teachers.size() == 1 ? "" : "s",
                    dependents == 1 ? "is" : "are"));
  if (store) {
    for (const auto& key : out.run_keys) {
      std::vector<RunRecord> outside;
      for (auto& d : store->completed_dependents(key))
        if (!in_plan.count(d.run_key)) outside.push_back(std::move(d));
      if (outside.empty()) continue;
      out.notes.push_back(fmt::format(
          "{} completed run{} outside this plan learned from {} {}'s current weights; they "
          "keep them (the file stays, pinned by sha256 in run_input) until rerun with --force:",
          outside.size(), outside.size() == 1 ? "" : "s", teachers.count(key) ? "teacher" : "run",
          key.substr(0, 10)));
      for (const auto& d : outside)
        out.notes.push_back(fmt::format("  {} {} / {} / {} seed {} (run {})", d.experiment,
                                        d.profile, d.row.empty() ? d.method : d.row, d.column,
                                        d.seed, d.run_id.substr(0, 12)));
    }
  }
  return out;
}

}  // namespace dfkd::host
