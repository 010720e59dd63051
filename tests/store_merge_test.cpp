// ResultsStore::merge_run: a sweep shard's run merged into the main store (what `dfkd ingest`
// does per shard), and a teacher borrowed into a shard by reference.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "slurm/ingest.hpp"
#include "slurm/sweep.hpp"
#include "store/results_store.hpp"
#include "support/expect_throw.hpp"
#include "support/temp_dir.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using dfkd::host::ArtifactRecord;
using dfkd::host::CellRecord;
using dfkd::host::MergeOptions;
using dfkd::host::MergeResult;
using dfkd::host::MetricSummary;
using dfkd::host::ResultsStore;
using dfkd::host::RunPlan;
using dfkd::host::RunStatus;
using Outcome = MergeResult::Outcome;

namespace {

class MergeRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    fs::create_directories(dir_ / "main");
    fs::create_directories(dir_ / "shard");
    main_db_ = dir_ / "main" / "results.db";
    shard_db_ = dir_ / "shard" / "run.db";
  }

  static RunPlan plan(const std::string& key, const std::string& id,
                      const std::string& parent = "") {
    RunPlan p;
    p.run_key = key;
    p.run_id = id;
    p.experiment = "two_moons";
    p.row = parent.empty() ? "Teacher" : "DFAL";
    p.column = "two_moons";
    p.profile = "smoke";
    p.role = parent.empty() ? "teacher" : "student";
    p.method = "dfad";
    p.parent_run_key = parent;
    p.config = {{"train", {{"epochs", 2}}}};
    return p;
  }

  /// A shard as a Slurm task leaves it: the run trained for two epochs with a model file,
  /// completed.
  void write_completed_shard(const std::string& key, const std::string& id,
                             const std::string& parent = "") {
    ResultsStore shard(shard_db_, ResultsStore::Mode::ReadWrite, ResultsStore::Journal::Rollback);
    shard.upsert_experiment("two_moons", "Two moons", {{"experiment", "two_moons"}});
    const auto run = shard.plan_run(plan(key, id, parent));
    shard.link_cell({"two_moons", "smoke", run.row, "two_moons", 0, key});
    dfkd::host::EnvironmentInfo env;
    env.hostname = "node1";
    env.cpu_model = "Test CPU";
    env.cpus = 4;
    ASSERT_TRUE(shard.claim_run(run.run_id, shard.ensure_environment(env)));
    shard.log_epoch(run.run_id, 1, 10, {{"test_accuracy", 80.0}});
    shard.log_epoch(run.run_id, 2, 20, {{"test_accuracy", 90.0}});
    const fs::path model = dir_ / "shard" / "artifacts" / key / "model.pt";
    fs::create_directories(model.parent_path());
    std::ofstream(model) << "weights of " << key;
    ArtifactRecord a;
    a.run_id = run.run_id;
    a.kind = "model";
    a.path = fs::relative(model, dir_ / "shard").string();
    a.sha256 = dfkd::host::sha256_file(model);
    a.bytes = static_cast<int64_t>(fs::file_size(model));
    shard.add_artifact(a);
    shard.complete_run(run.run_id, {MetricSummary{"test_accuracy", 90.0, 90.0, 2, "max"}}, 3.5);
  }

  MergeOptions ingest_options() const {
    MergeOptions o;
    o.source = (dir_ / "shard").string();
    o.sweep_id = "sweep-1";
    o.slurm_job = "7_0";
    return o;
  }

  dfkd::test_support::TempDir temp_{"dfkd_merge_test_"};
  fs::path dir_, main_db_, shard_db_;
};

TEST_F(MergeRunTest, MergesTheShardsRunIntoThePlannedRunAndTwiceChangesNothing) {
  ResultsStore main(main_db_);
  main.plan_run(plan("k-teacher", "id-teacher"));  // as `dfkd slurm submit` planned it
  write_completed_shard("k-teacher", "id-teacher");

  const auto first = main.merge_run(shard_db_, "k-teacher", ingest_options());
  EXPECT_EQ(first.outcome, Outcome::Merged);
  EXPECT_EQ(first.run_id, "id-teacher");
  const auto run = main.find_run_by_key("k-teacher");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::Completed);
  EXPECT_EQ(run->attempt, 1);
  EXPECT_EQ(run->epochs_done, 2);
  EXPECT_DOUBLE_EQ(run->wall_seconds, 3.5);
  ASSERT_EQ(main.metric_series("id-teacher", "test_accuracy").size(), 2u);
  EXPECT_DOUBLE_EQ(main.metric_series("id-teacher", "test_accuracy")[1].value, 90.0);
  ASSERT_EQ(main.summaries("id-teacher").size(), 1u);
  // The model file now lives beside the main store, byte for byte.
  const auto arts = main.artifacts("id-teacher", "model");
  ASSERT_EQ(arts.size(), 1u);
  // Content-addressed under the main store's own artifact directory.
  const auto expected_prefix = main_db_.filename().string() + "-artifacts/k-teacher/model-";
  EXPECT_EQ(arts[0].path.rfind(expected_prefix, 0), 0u) << arts[0].path;
  EXPECT_EQ(arts[0].path.substr(expected_prefix.size(), 16), arts[0].sha256.substr(0, 16))
      << arts[0].path;
  EXPECT_EQ(dfkd::host::sha256_file(dir_ / "main" / arts[0].path), arts[0].sha256);
  ASSERT_EQ(main.ingest_log().size(), 1u);
  EXPECT_EQ(main.ingest_log()[0].slurm_job, "7_0");
  EXPECT_EQ(main.ingest_log()[0].status, "completed");

  const auto before = main.query("SELECT * FROM run").rows;
  const auto second = main.merge_run(shard_db_, "k-teacher", ingest_options());
  EXPECT_EQ(second.outcome, Outcome::Unchanged);
  EXPECT_EQ(main.query("SELECT * FROM run").rows, before);
  EXPECT_EQ(main.ingest_log().size(), 1u);
  EXPECT_EQ(main.metric_series("id-teacher", "test_accuracy").size(), 2u);
}

TEST_F(MergeRunTest, IntoAFreshStoreBringsCellsExperimentAndLinksTheTeacherLater) {
  // Shards copied home to a store that never planned them: the student arrives first.
  write_completed_shard("k-student", "id-student", "k-teacher");
  ResultsStore main(main_db_);
  EXPECT_EQ(main.merge_run(shard_db_, "k-student", ingest_options()).outcome, Outcome::Merged);
  EXPECT_EQ(main.find_run("id-student")->parent_run_id, "");
  EXPECT_EQ(main.cells("two_moons").size(), 1u);
  EXPECT_TRUE(main.experiment_definition("two_moons"));

  fs::remove_all(dir_ / "shard");
  fs::create_directories(dir_ / "shard");
  write_completed_shard("k-teacher", "id-teacher");
  EXPECT_EQ(main.merge_run(shard_db_, "k-teacher", ingest_options()).outcome, Outcome::Merged);
  EXPECT_EQ(main.find_run("id-student")->parent_run_id, "id-teacher");
}

TEST_F(MergeRunTest, TheMachineTravelsWithTheRunAndAShardOfSchemaThreeStillMerges) {
  write_completed_shard("k-teacher", "id-teacher");
  {
    ResultsStore main(main_db_);
    main.merge_run(shard_db_, "k-teacher", ingest_options());
    EXPECT_EQ(main.environment(main.find_run("id-teacher")->environment_id)->machine(),
              "Test CPU, 4 CPUs");
  }
  // The same shard as dfkd before schema 4 wrote it: no cpu_model, no cpus.
  fs::remove_all(dir_ / "main");
  fs::create_directories(dir_ / "main");
  {
    SQLite::Database db(shard_db_.string(), SQLite::OPEN_READWRITE);
    db.exec(
        "ALTER TABLE environment DROP COLUMN cpu_model; ALTER TABLE environment DROP COLUMN cpus;"
        "PRAGMA user_version = 3;");
  }
  ResultsStore main(main_db_);
  EXPECT_EQ(main.merge_run(shard_db_, "k-teacher", ingest_options()).outcome, Outcome::Merged);
  const auto env = main.environment(main.find_run("id-teacher")->environment_id);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->hostname, "node1");
  EXPECT_EQ(env->machine(), "machine not recorded");
}

TEST_F(MergeRunTest, AStoreOfSchemaTwoMergesItsExperimentAndRun) {
  write_completed_shard("k-teacher", "id-teacher");
  {  // As dfkd before schema 3 wrote it: no run_input, no experiment.source_file, no machine.
    SQLite::Database db(shard_db_.string(), SQLite::OPEN_READWRITE);
    db.exec(
        "DROP TABLE run_input; ALTER TABLE experiment DROP COLUMN source_file;"
        "ALTER TABLE environment DROP COLUMN cpu_model; ALTER TABLE environment DROP COLUMN cpus;"
        "PRAGMA user_version = 2;");
  }
  ResultsStore main(main_db_);
  EXPECT_EQ(main.merge_run(shard_db_, "k-teacher", ingest_options()).outcome, Outcome::Merged);
  EXPECT_EQ(main.find_run("id-teacher")->status, RunStatus::Completed);
  EXPECT_TRUE(main.experiment_definition("two_moons"));
  EXPECT_EQ(main.experiment_source_file("two_moons"), "");
}

// `dfkd ingest SHARD_DIR` of a shard copied home from a machine with an older dfkd: the
// read-only look at its state cannot open schema 2, but the merge reads it. Before, the shard was
// refused as "run.db does not hold the shard's own run".
TEST_F(MergeRunTest, ALooseShardOfSchemaTwoIsIngested) {
  write_completed_shard("k-teacher", "id-teacher");
  {
    SQLite::Database db(shard_db_.string(), SQLite::OPEN_READWRITE);
    db.exec(
        "DROP TABLE run_input; ALTER TABLE experiment DROP COLUMN source_file;"
        "ALTER TABLE environment DROP COLUMN cpu_model; ALTER TABLE environment DROP COLUMN cpus;"
        "PRAGMA user_version = 2;");
  }
  dfkd::host::write_shard_info(dir_ / "shard", {"k-teacher", "sweep-1", "7_0", "node1"});
  ResultsStore main(main_db_);
  auto ingest = [&] {
    std::FILE* out = std::tmpfile();
    const auto sum = dfkd::host::ingest(main, {dir_ / "shard"}, {}, out);
    std::fclose(out);
    return sum;
  };
  // Without its DONE marker nothing says how it ended: refused, not recorded as lost.
  auto sum = ingest();
  EXPECT_EQ(sum.errors, 1);
  EXPECT_FALSE(main.find_run("id-teacher"));
  dfkd::host::write_done_marker(dir_ / "shard", {"k-teacher", "completed", "2026-01-01T00:00:00Z"});
  sum = ingest();
  EXPECT_EQ(sum.errors, 0);
  EXPECT_EQ(sum.merged, 1);
  EXPECT_EQ(main.find_run("id-teacher")->status, RunStatus::Completed);
}

TEST_F(MergeRunTest, LostRunIsRecordedKilledWithTheReasonOnce) {
  {
    ResultsStore shard(shard_db_, ResultsStore::Mode::ReadWrite, ResultsStore::Journal::Rollback);
    const auto run = shard.plan_run(plan("k", "id"));
    ASSERT_TRUE(shard.claim_run(run.run_id, ""));
    shard.log_epoch(run.run_id, 1, 10, {{"test_accuracy", 50.0}});
  }
  ResultsStore main(main_db_);
  main.plan_run(plan("k", "id"));
  auto lost = ingest_options();
  lost.lost_reason = "lost: job 7_0 left Slurm's queue without a completion marker";
  EXPECT_EQ(main.merge_run(shard_db_, "k", lost).outcome, Outcome::Merged);
  const auto run = main.find_run("id");
  EXPECT_EQ(run->status, RunStatus::Killed);
  EXPECT_EQ(run->error, lost.lost_reason);
  EXPECT_EQ(run->epochs_done, 1);
  EXPECT_EQ(main.merge_run(shard_db_, "k", lost).outcome, Outcome::Unchanged);
  EXPECT_EQ(main.ingest_log().size(), 1u);
  EXPECT_EQ(main.ingest_log()[0].status, "killed");
}

TEST_F(MergeRunTest, ACompletedRunOfTheStoreIsNeverOverwritten) {
  write_completed_shard("k", "id-shard");
  ResultsStore main(main_db_);
  const auto local = main.plan_run(plan("k", "id-local"));
  ASSERT_TRUE(main.claim_run(local.run_id, ""));
  main.complete_run(local.run_id, {}, 1.0);
  const auto kept = main.merge_run(shard_db_, "k", ingest_options());
  EXPECT_EQ(kept.outcome, Outcome::KeptCompleted);
  EXPECT_EQ(kept.source_students, 0);
  EXPECT_EQ(main.find_run_by_key("k")->run_id, "id-local");
  EXPECT_TRUE(main.ingest_log().empty());
  // The source's student of its own "k" learned from other weights than the kept run's: counted,
  // so that ingest can say so.
  write_completed_shard("k-student", "id-student", "k");
  EXPECT_EQ(main.merge_run(shard_db_, "k", ingest_options()).source_students, 1);
}

TEST_F(MergeRunTest, ARunAlreadyHereStillGetsTheCellsOfASecondSourceThatSharesIt) {
  // Table 1's archive brings run k; the ablation's archive has the same run under its own row.
  write_completed_shard("k", "id");
  ResultsStore main(main_db_);
  ASSERT_EQ(main.merge_run(shard_db_, "k", ingest_options()).outcome, Outcome::Merged);
  {
    ResultsStore shard(shard_db_, ResultsStore::Mode::ReadWrite, ResultsStore::Journal::Rollback);
    shard.upsert_experiment("ablation", "Ablation", {{"experiment", "ablation"}});
    for (int64_t seed : {0, 1})
      shard.link_cell({"ablation", "smoke", "DFAD", "two_moons", seed, "k"});
  }
  const auto before = main.query("SELECT * FROM run").rows;
  EXPECT_EQ(main.merge_run(shard_db_, "k", ingest_options()).outcome, Outcome::Unchanged);
  EXPECT_EQ(main.query("SELECT * FROM run").rows, before);
  const auto cells = main.cells("ablation", "smoke");
  ASSERT_EQ(cells.size(), 2u) << "the shared run's cells of the second source must be linked";
  EXPECT_EQ(cells[0].row, "DFAD");
  EXPECT_EQ(cells[1].run_key, "k");
  EXPECT_TRUE(main.experiment_definition("ablation")) << "the cells' experiment comes with them";
  EXPECT_EQ(main.cells("two_moons", "smoke").size(), 1u);  // the first source's cell stays

  // A store that trained the run itself keeps it, and still learns the source's cells.
  fs::create_directories(dir_ / "other");
  ResultsStore other(dir_ / "other" / "results.db");
  const auto local = other.plan_run(plan("k", "id-local"));
  ASSERT_TRUE(other.claim_run(local.run_id, ""));
  other.complete_run(local.run_id, {}, 1.0);
  EXPECT_EQ(other.merge_run(shard_db_, "k", ingest_options()).outcome, Outcome::KeptCompleted);
  EXPECT_EQ(other.find_run_by_key("k")->run_id, "id-local");
  EXPECT_EQ(other.cells("ablation", "smoke").size(), 2u);
}

TEST_F(MergeRunTest, ARunALocalProcessIsTrainingIsNotTouched) {
  write_completed_shard("k", "id");
  ResultsStore main(main_db_);
  ASSERT_TRUE(main.claim_run(main.plan_run(plan("k", "id")).run_id, ""));
  EXPECT_EQ(main.merge_run(shard_db_, "k", ingest_options()).outcome, Outcome::HeldHere);
  EXPECT_EQ(main.find_run("id")->status, RunStatus::Running);
}

TEST_F(MergeRunTest, ABorrowedTeacherReferencesItsModelWhereItLies) {
  write_completed_shard("k-teacher", "id-teacher");
  ResultsStore student_shard(dir_ / "student" / "run.db", ResultsStore::Mode::ReadWrite,
                             ResultsStore::Journal::Rollback);
  MergeOptions borrow;
  borrow.artifacts = MergeOptions::Artifacts::ReferenceInPlace;
  EXPECT_EQ(student_shard.merge_run(shard_db_, "k-teacher", borrow).outcome, Outcome::Merged);
  const auto arts = student_shard.artifacts("id-teacher", "model");
  ASSERT_EQ(arts.size(), 1u);
  EXPECT_EQ(fs::path(arts[0].path), dir_ / "shard" / "artifacts" / "k-teacher" / "model.pt");
  EXPECT_FALSE(fs::exists(dir_ / "student" / "artifacts"));
  EXPECT_TRUE(student_shard.ingest_log().empty());  // no provenance given: nothing logged
}

TEST_F(MergeRunTest, MissingRunOrArtifactFailsNamingTheShard) {
  write_completed_shard("k", "id");
  ResultsStore main(main_db_);
  const std::string msg = dfkd::test_support::message_of<std::exception>(
      [&] { main.merge_run(shard_db_, "no-such-key", ingest_options()); });
  EXPECT_NE(msg.find("holds no run with key no-such-key"), std::string::npos) << msg;
  EXPECT_NE(msg.find(shard_db_.string()), std::string::npos) << msg;

  fs::remove(dir_ / "shard" / "artifacts" / "k" / "model.pt");
  const std::string missing_file = dfkd::test_support::message_of<std::exception>(
      [&] { main.merge_run(shard_db_, "k", ingest_options()); });
  EXPECT_NE(missing_file.find("model.pt"), std::string::npos) << missing_file;
  EXPECT_NE(missing_file.find("copy the shard's artifact directory"), std::string::npos)
      << missing_file;
  EXPECT_FALSE(main.find_run_by_key("k"));  // the transaction rolled back
}

}  // namespace
