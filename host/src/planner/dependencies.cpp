#include "planner/dependencies.hpp"

namespace dfkd::host {

const std::string& teacher_of(const RunRecord& run) {
  return run.parent_run_key;
}

Readiness readiness(const RunRecord& run,
                    const std::function<TeacherStatus(const std::string&)>& status_of) {
  const auto& teacher = teacher_of(run);
  if (teacher.empty()) return Readiness::Ready;
  const TeacherStatus status = status_of(teacher);
  if (status.completed) return Readiness::Ready;
  return status.to_run ? Readiness::Waiting : Readiness::Blocked;
}

int dependency_level(const RunRecord& run, const std::map<std::string, int>& levels) {
  const auto teacher = levels.find(teacher_of(run));
  return teacher == levels.end() ? 0 : teacher->second + 1;
}

}  // namespace dfkd::host
