// What dfkd shows is what it ran (issue 17): a teacher trained only because a student needs it
// keeps its row name, `dfkd run NAME` runs the definition the store keeps, and a row the chosen
// profile forgot to cut down is named before anything trains.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;
using dfkd::test_support::count;

class HonestTest : public CliTest {
 protected:
  std::string run_dfal(const std::string& what) const {
    return "run '" + what + "' --profile smoke --seeds 1 --jobs 1 --only DFAL --no-table " +
           db_arg();
  }

  /// SQL through a plain connection: a store as an older dfkd left it.
  void raw_exec(const std::string& sql) const {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 10000);
    EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
  }

  std::vector<dfkd::host::RunRecord> teachers() const {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    std::vector<dfkd::host::RunRecord> out;
    for (const auto& r : store.runs("two_moons"))
      if (r.role == "teacher") out.push_back(r);
    return out;
  }
};

// `--only DFAL` trains the teacher as a dependency: runs, table and status still call it
// "Teacher", and a store where an older dfkd left its row empty is named on the next plan.
TEST_F(HonestTest, DependencyTeacherKeepsItsRowName) {
  const auto r = cli(run_dfal(experiment()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(teachers().size(), 1u);
  EXPECT_EQ(teachers()[0].row, "Teacher");
  EXPECT_EQ(teachers()[0].status, RunStatus::Completed);

  const auto runs = cli("runs " + db_arg());
  EXPECT_NE(runs.output.find(" Teacher "), std::string::npos) << runs.output;
  const auto status = cli("status two_moons --profile smoke " + db_arg());
  EXPECT_NE(status.output.find(
                fmt::format("{:<16} {:<16} seed {:<3} completed", "Teacher", "two_moons", 0)),
            std::string::npos)
      << status.output;
  // By name with a profile, as with the file: the cells nothing has planned yet count too.
  EXPECT_NE(status.output.find(" not planned"), std::string::npos) << status.output;
  // --summary: a line per row and column, its seeds counted by state.
  const auto summary = cli("status two_moons --profile smoke --summary " + db_arg());
  EXPECT_NE(
      summary.output.find(fmt::format("{:<16} {:<16} 1 of 1 completed\n", "Teacher", "two_moons")),
      std::string::npos)
      << summary.output;
  EXPECT_NE(summary.output.find(fmt::format("{:<16} {:<16} 0 of 2 completed, 2 not planned",
                                            "Student", "two_moons")),
            std::string::npos)
      << summary.output;
  EXPECT_EQ(summary.output.find(" seed "), std::string::npos) << summary.output;
  const auto table = cli("table two_moons --profile smoke --format json " + db_arg());
  ASSERT_EQ(table.exit_code, 0) << table.output;
  const auto j = nlohmann::json::parse(table.output);
  EXPECT_EQ(j.at("rows")[0].at("row"), "Teacher");
  EXPECT_EQ(j.at("rows")[0].at("cells").at("two_moons").at("n"), 1) << table.output;

  raw_exec("UPDATE run SET row = '' WHERE role = 'teacher'");
  ASSERT_EQ(teachers()[0].row, "");
  const auto again = cli(run_dfal(experiment()));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(teachers()[0].row, "Teacher");
}

// Two rows of the same configuration are two cells of one run: status counts the runs, as the
// plan trains them, and says how many cells they fill (it counted cells as runs before).
TEST_F(HonestTest, StatusTotalCountsRunsNotCells) {
  auto e = experiment_json();
  for (const auto& row : e.at("rows"))
    if (row.at("name") == "DFAL") {
      auto again = row;
      again["name"] = "DFAL again";
      e.at("rows").push_back(again);
      break;
    }
  const auto file = write_experiment(e);
  ASSERT_EQ(cli(run_dfal(file)).exit_code, 0);  // the teacher and DFAL seed 0 (DFAL again's)
  const auto status = cli("status two_moons --profile smoke " + db_arg());
  EXPECT_NE(status.output.find(
                "  total: 7 runs: 2 completed, 5 not planned (in 9 cells: some cells share a run)"),
            std::string::npos)
      << status.output;
}

// `dfkd run NAME` (as `dfkd table NAME`): the stored definition, nothing retrained; an unknown
// name or a store that does not exist yet is a usage error saying what exists.
TEST_F(HonestTest, RunTakesTheNameOfAStoredExperiment) {
  const auto missing = cli(run_dfal("two_moons"));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("does not exist yet"), std::string::npos) << missing.output;

  ASSERT_EQ(cli(run_dfal(experiment())).exit_code, 0);
  const auto by_name = cli(run_dfal("two_moons"));
  ASSERT_EQ(by_name.exit_code, 0) << by_name.output;
  EXPECT_EQ(count(by_name.output, "  cached ("), 2) << by_name.output;
  EXPECT_EQ(by_name.output.find("changes the stored definition"), std::string::npos)
      << by_name.output;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    EXPECT_EQ(store.experiment_source_file("two_moons"),
              fs::weakly_canonical(experiment()).string());
  }
  const auto unknown = cli(run_dfal("no_such_experiment"));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("experiments there: two_moons"), std::string::npos)
      << unknown.output;
}

// A profile that cuts some rows down but not another: the run, dry or not, says which row and
// profile; the shipped file marks its deliberately unpatched rows with {} and says nothing.
TEST_F(HonestTest, WarnsAboutARowTheProfileDoesNotPatch) {
  const auto shipped =
      cli("run '" + experiment() + "' --profile smoke --seeds 1 --dry-run " + db_arg());
  ASSERT_EQ(shipped.exit_code, 0) << shipped.output;
  EXPECT_EQ(shipped.output.find("warning"), std::string::npos) << shipped.output;

  const auto file =
      patched_experiment({{"profiles", {{"smoke", {{"rows", {{"DFAL", nullptr}}}}}}}});
  const auto dry = cli("run '" + file + "' --profile smoke --seeds 1 --dry-run " + db_arg());
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("dfkd: warning: row 'DFAL' has no patch in profile 'smoke', which "
                            "patches rows Proposed, Student"),
            std::string::npos)
      << dry.output;
  EXPECT_EQ(count(dry.output, "warning"), 1) << dry.output;
  EXPECT_FALSE(fs::exists(db_)) << "a dry run writes nothing";

  const auto other_rows =
      cli("run '" + file + "' --profile smoke --seeds 1 --only Student --dry-run " + db_arg());
  EXPECT_EQ(other_rows.output.find("warning"), std::string::npos) << other_rows.output;
}

}  // namespace
