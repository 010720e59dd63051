// The teacher -> student rule both schedulers ask (planner/dependencies.hpp): when a run can start,
// and at which level of a Slurm sweep it goes.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "planner/dependencies.hpp"

using dfkd::host::dependency_level;
using dfkd::host::readiness;
using dfkd::host::Readiness;
using dfkd::host::RunRecord;
using dfkd::host::teacher_of;
using dfkd::host::TeacherStatus;

namespace {

RunRecord run(const std::string& key, const std::string& teacher = "") {
  RunRecord r;
  r.run_key = key;
  r.parent_run_key = teacher;
  return r;
}

TEST(Dependencies, ARunWithoutTeacherIsReadyAndNobodyIsAsked) {
  bool asked = false;
  const auto status_of = [&](const std::string&) {
    asked = true;
    return TeacherStatus{};
  };
  EXPECT_EQ(teacher_of(run("t")), "");
  EXPECT_EQ(readiness(run("t"), status_of), Readiness::Ready);
  EXPECT_FALSE(asked);
}

TEST(Dependencies, AStudentStartsOnlyAfterItsTeacherCompleted) {
  const auto student = run("s", "t");
  EXPECT_EQ(teacher_of(student), "t");
  std::string asked_about;
  const auto with = [&](TeacherStatus status) {
    return readiness(student, [&](const std::string& key) {
      asked_about = key;
      return status;
    });
  };
  EXPECT_EQ(with({/*completed=*/true, /*to_run=*/false}), Readiness::Ready);
  EXPECT_EQ(asked_about, "t");
  EXPECT_EQ(with({false, true}), Readiness::Waiting);
  EXPECT_EQ(with({false, false}), Readiness::Blocked);
}

TEST(Dependencies, LevelsFollowTheTeacherChain) {
  std::map<std::string, int> levels;
  levels["t"] = dependency_level(run("t"), levels);
  levels["s"] = dependency_level(run("s", "t"), levels);
  // A teacher outside the sweep (completed earlier, borrowed) costs no level.
  levels["b"] = dependency_level(run("b", "elsewhere"), levels);
  EXPECT_EQ(levels["t"], 0);
  EXPECT_EQ(levels["s"], 1);
  EXPECT_EQ(levels["b"], 0);
  EXPECT_EQ(dependency_level(run("x", "s"), levels), 2);
}

}  // namespace
