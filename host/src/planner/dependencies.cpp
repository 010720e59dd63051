#include "planner/dependencies.hpp"

#include <algorithm>

namespace dfkd::host {

const std::string& teacher_of(const RunRecord& run) {
  return run.parent_run_key;
}

Readiness readiness(const RunRecord& run,
                    const std::function<TeacherStatus(const std::string&)>& status_of) {
  Readiness ready = Readiness::Ready;
  for (const auto& dep : dependencies_of(run)) {
    const TeacherStatus status = status_of(dep);
    if (status.completed) continue;
    if (!status.to_run) return Readiness::Blocked;
    ready = Readiness::Waiting;
  }
  return ready;
}

int dependency_level(const RunRecord& run, const std::map<std::string, int>& levels) {
  int level = 0;
  for (const auto& dep : dependencies_of(run))
    if (const auto it = levels.find(dep); it != levels.end())
      level = std::max(level, it->second + 1);
  return level;
}

}  // namespace dfkd::host
