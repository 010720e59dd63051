// What a completed run depended on never changes silently (issue 13): forced reruns keep every
// artifact file, students stay pinned to the teacher weights they learned from, dry runs write
// nothing, stored definitions are not replaced behind the user's back, and workers stop promptly
// when their parent dies.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"
#include "util/hash.hpp"

namespace {

namespace fs = std::filesystem;
using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;
using dfkd::test_support::count;

/// Every file under `root` with its sha256.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[e.path().string()] = dfkd::host::sha256_file(e.path());
  return out;
}

std::string read_file(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class IntegrityTest : public CliTest {
 protected:
  std::string run_file(const std::string& file, const std::string& extra) const {
    return "run '" + file + "' --profile smoke --seeds 1 --jobs 1 --threads 1 --no-table " + extra +
           " " + db_arg();
  }
  std::string run(const std::string& extra) const {
    return "run '" + experiment() + "' --profile smoke --seeds 1 --jobs 1 --threads 1 --no-table " +
           extra + " " + db_arg();
  }
  fs::path artifacts() const { return dir_ / "results.db-artifacts"; }

  /// Every completed run that learned from a teacher names the exact artifact it read, and that
  /// file exists with that content.
  void expect_students_pinned(const ResultsStore& store) const {
    int students = 0;
    for (const auto& r : store.runs("two_moons", "completed")) {
      if (r.parent_run_key.empty()) continue;
      ++students;
      const auto input = store.run_input(r.run_id, "teacher");
      ASSERT_TRUE(input) << r.row << " has no recorded teacher weights";
      const auto teacher = store.find_run_by_key(r.parent_run_key);
      ASSERT_TRUE(teacher);
      bool found = false;
      for (const auto& a : store.artifacts(teacher->run_id, "model")) {
        if (a.artifact_id != input->artifact_id) continue;
        found = true;
        EXPECT_EQ(a.sha256, input->sha256);
        EXPECT_EQ(dfkd::host::sha256_file(store.artifact_file(a)), input->sha256) << r.row;
      }
      EXPECT_TRUE(found) << r.row << "'s teacher artifact " << input->artifact_id << " is gone";
    }
    EXPECT_GT(students, 0);
  }
};

TEST_F(IntegrityTest, ForceRetrainsOnlyWhatWasAskedAndNeverRewritesAnArtifact) {
  const auto first = cli(run(""));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto before = snapshot(artifacts());
  ASSERT_FALSE(before.empty());
  EXPECT_FALSE(fs::exists(dir_ / "artifacts"))
      << "artifacts belong to one store: <store>-artifacts/";

  // --force reruns the selected row, not the teacher it depends on.
  const auto forced = cli(run("--force --only DFAL"));
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(forced.output.find("--force keeps 1 completed teacher"), std::string::npos)
      << forced.output;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    for (const auto& r : store.runs("two_moons"))
      EXPECT_EQ(r.attempt, r.row == "DFAL" ? 2 : 1) << r.row << " (" << r.role << ")";
  }

  // --force-teacher retrains the teacher and DFAL, and names the student outside the plan.
  const auto teacher = cli(run("--force-teacher --only DFAL"));
  ASSERT_EQ(teacher.exit_code, 0) << teacher.output;
  EXPECT_NE(teacher.output.find("outside this plan learned from teacher"), std::string::npos)
      << teacher.output;
  EXPECT_NE(teacher.output.find("/ Proposed /"), std::string::npos) << teacher.output;

  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  for (const auto& r : store.runs("two_moons")) {
    EXPECT_EQ(r.status, RunStatus::Completed) << r.row;
    const int expected = r.role == "teacher" ? 2 : r.row == "DFAL" ? 3 : 1;
    EXPECT_EQ(r.attempt, expected) << r.row << " (" << r.role << ")";
    for (const auto& a : store.artifacts(r.run_id))
      EXPECT_EQ(a.path.rfind("results.db-artifacts/", 0), 0u) << a.path;
  }
  // No file was rewritten or removed: a new attempt only adds files.
  const auto after = snapshot(artifacts());
  for (const auto& [file, sha] : before) {
    ASSERT_TRUE(after.count(file)) << file << " was removed";
    EXPECT_EQ(after.at(file), sha) << file << " was rewritten in place";
  }
  expect_students_pinned(store);
  for (const auto& r : store.runs("two_moons", "completed"))
    if (r.row == "Proposed") {
      const auto show = cli("runs show " + r.run_id + " " + db_arg());
      EXPECT_NE(show.output.find("learned from teacher weights " +
                                 store.run_input(r.run_id, "teacher")->artifact_id.substr(0, 12)),
                std::string::npos)
          << show.output;
    }
}

TEST_F(IntegrityTest, StoresInOneFolderKeepSeparateArtifacts) {
  ASSERT_EQ(cli(run("--only DFAL")).exit_code, 0);
  const auto mine = snapshot(artifacts());
  const auto other =
      cli("run '" + experiment() +
          "' --profile smoke --seeds 1 --jobs 1 --threads 1 --no-table --only DFAL --force-teacher "
          "--db other.db");
  ASSERT_EQ(other.exit_code, 0) << other.output;
  EXPECT_FALSE(snapshot(dir_ / "other.db-artifacts").empty());
  EXPECT_EQ(snapshot(artifacts()), mine) << "a run in other.db changed results.db's files";
}

TEST_F(IntegrityTest, DryRunWritesNothing) {
  const auto fresh = cli(run("--dry-run"));
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_NE(fresh.output.find("Dry run: nothing was written"), std::string::npos) << fresh.output;
  EXPECT_FALSE(fs::exists(db_)) << "a dry run created the store";

  ASSERT_EQ(cli(run("--only Student")).exit_code, 0);
  const auto db_before = read_file(db_);  // the last connection closed: the WAL is in the file
  const auto file = patched_experiment({{"description", "edited"}});
  const auto dry =
      cli("run '" + file +
          "' --profile smoke --seeds 1 --force-teacher --replace-definition --dry-run " + db_arg());
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("changes the stored definition"), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find(" new "), std::string::npos) << dry.output;
  EXPECT_EQ(read_file(db_), db_before);
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  EXPECT_FALSE(store.experiment_definition("two_moons")->contains("description") &&
               store.experiment_definition("two_moons")->at("description") == "edited");
  EXPECT_EQ(store.runs("two_moons").size(), 1u);  // Student only: nothing was planned
}

TEST_F(IntegrityTest, EmptyMatrixExitsTwoNamingThePath) {
  const auto file = patched_experiment({{"rows", nlohmann::json::array()}});
  const auto r = cli("run '" + file + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("experiment.json.rows: expected at least one entry"), std::string::npos)
      << r.output;
}

// An archive ingested in another clone carries the path of the file it was stored from, which
// does not exist here: the clone's copy of that file is the same experiment, and a change to it
// (a row added to a study) is taken, naming the change, as from the original path.
TEST_F(IntegrityTest, ADefinitionStoredFromAFileNotOnThisMachineIsTheSameExperiment) {
  fs::create_directories(dir_ / "author");
  const auto original = write_experiment(experiment_json(), "author/study.json");
  ASSERT_EQ(
      cli("run '" + original + "' --profile smoke --seeds 1 --only Student --no-table " + db_arg())
          .exit_code,
      0);
  fs::remove_all(dir_ / "author");  // the author's checkout, seen from a clone
  auto e = experiment_json();
  e["description"] = "one more row";
  const auto clone = write_experiment(e, "study.json");
  const auto r =
      cli("run '" + clone + "' --profile smoke --seeds 1 --only Student --no-table " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("changes the stored definition of experiment 'two_moons' (stored from " +
                          fs::weakly_canonical(original).string() +
                          ", which is not on this machine): changed: description"),
            std::string::npos)
      << r.output;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    EXPECT_EQ(store.experiment_source_file("two_moons"), fs::weakly_canonical(clone).string());
  }
  // A file of another name reusing the experiment's name is another experiment, stored path here
  // or not.
  fs::remove(clone);
  e["description"] = "my variant";
  const auto variant = write_experiment(e, "variant.json");
  const auto refused =
      cli("run '" + variant + "' --profile smoke --seeds 1 --only Student --no-table " + db_arg());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--replace-definition"), std::string::npos) << refused.output;
}

// A table by name reads the stored definition; when the experiment's file says otherwise (an
// archive brought an older definition along), the table says so and how to read the file's.
TEST_F(IntegrityTest, ATableByNameSaysWhenTheFileDefinesTheExperimentOtherwise) {
  const auto file = patched_experiment({{"title", "as stored"}});
  ASSERT_EQ(cli(run_file(file, "--only Student")).exit_code, 0);
  auto r = cli("table two_moons --profile smoke " + db_arg());
  EXPECT_EQ(r.output.find("holds another definition"), std::string::npos) << r.output;
  patched_experiment({{"title", "edited since"}});  // the same path
  r = cli("table two_moons --profile smoke " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("dfkd: note: " + db_.string() +
                          " holds another definition of 'two_moons' than " +
                          fs::weakly_canonical(file).string()),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("(changed: title); this reads the stored one"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("as stored"), std::string::npos) << r.output;  // the stored title
}

TEST_F(IntegrityTest, AStoredDefinitionIsNeverReplacedSilently) {
  ASSERT_EQ(cli(run("--only Student")).exit_code, 0);
  // A copy of the file keeping "experiment": "two_moons", from another path.
  const auto copy = patched_experiment({{"description", "my variant"}});
  const auto refused =
      cli("run '" + copy + "' --profile smoke --seeds 1 --only Student --no-table " + db_arg());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--replace-definition"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("changed: description"), std::string::npos) << refused.output;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    EXPECT_NE(store.experiment_definition("two_moons")->value("description", ""), "my variant");
  }
  const auto replaced =
      cli("run '" + copy +
          "' --profile smoke --seeds 1 --only Student --no-table --replace-definition " + db_arg());
  ASSERT_EQ(replaced.exit_code, 0) << replaced.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  EXPECT_EQ(store.experiment_definition("two_moons")->value("description", ""), "my variant");
  EXPECT_EQ(store.experiment_source_file("two_moons"), fs::weakly_canonical(copy).string());

  // The same file losing a row that has results is refused too.
  auto def = *store.experiment_definition("two_moons");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : def.at("rows"))
    if (r.at("name") != "Student") rows.push_back(r);
  def["rows"] = rows;
  def["profiles"]["smoke"]["rows"].erase("Student");
  std::ofstream(copy) << def.dump(2);
  const auto lost =
      cli("run '" + copy + "' --profile smoke --seeds 1 --no-table --dry-run " + db_arg());
  EXPECT_EQ(lost.exit_code, 2) << lost.output;
  EXPECT_NE(lost.output.find("drops row(s) with completed runs: Student"), std::string::npos)
      << lost.output;
}

// kill -9 of `dfkd run --jobs 2` while both workers are inside a 60-second iteration: the kernel
// sends them SIGTERM (PDEATHSIG) and they must stop within seconds, recording the runs killed,
// rather than finish the iteration with no parent (the wait below is far shorter than it).
TEST_F(IntegrityTest, WorkersStopPromptlyWhenTheirParentIsKilled) {
  const pid_t child = start_in_background(
      "run '" + slow_experiment(60.0) +
          "' --profile smoke --only Slow --seeds 2 --jobs 2 --threads 2 --no-table " + db_arg(),
      "run.log", slow_plugin_env());
  ASSERT_GE(child, 0);
  auto started = [&] {
    int n = 0;
    for (const auto& f : fs::directory_iterator(dir_))
      n += f.path().filename().string().rfind("started.", 0) == 0;
    return n;
  };
  const bool both_inside = wait_until([&] { return started() == 2; }, 1200);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(both_inside) << read_file(dir_ / "run.log");
  const bool recorded = wait_until(
      [&] {
        return count_runs("Slow", [](const auto& r) { return r.status == RunStatus::Killed; }) == 2;
      },
      300);
  EXPECT_TRUE(recorded) << "workers went on with their iteration after their parent was killed\n"
                        << read_file(dir_ / "run.log");
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  for (const auto& r : store.runs("two_moons"))
    if (r.row == "Slow")
      EXPECT_NE(r.error.find("the last epoch checkpoint is kept"), std::string::npos) << r.error;
}

}  // namespace
