// Results store: schema/migrations, run lifecycle, metrics, read-only query, concurrency.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/environment.hpp"
#include "store/results_store.hpp"
#include "store/schema.hpp"
#include "support/expect_throw.hpp"
#include "support/temp_dir.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using dfkd::host::ArtifactRecord;
using dfkd::host::CellRecord;
using dfkd::host::EnvironmentInfo;
using dfkd::host::MetricSummary;
using dfkd::host::PluginRecord;
using dfkd::host::ResultsStore;
using dfkd::host::RunPlan;
using dfkd::host::RunRecord;
using dfkd::host::RunStatus;
using nlohmann::json;

namespace {

/// A fresh directory per test, removed afterwards.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    db_ = dir_ / "results.db";
  }

  static RunPlan plan(const std::string& key, const std::string& row = "DFAL") {
    RunPlan p;
    p.run_key = key;
    p.experiment = "table1";
    p.row = row;
    p.column = "two_moons";
    p.seed = 1;
    p.profile = "smoke";
    p.role = "student";
    p.method = "dfad";
    p.config = {{"method", {{"name", "dfad"}, {"options", {{"student_lr", 0.1}, {"iters", 50}}}}},
                {"dataset", "two_moons"},
                {"deterministic", true},
                {"widths", {16, 32}},
                {"note", nullptr}};
    return p;
  }

  /// Test-only SQL through a plain sqlite3 connection (what another tool or process would do).
  void raw_exec(const std::string& sql) const {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_.string().c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                              nullptr),
              SQLITE_OK);
    sqlite3_busy_timeout(h, 10000);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(h);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  /// First column of the first row of `sql`, as text, via a plain read-only connection.
  std::string raw_scalar(const std::string& sql) const {
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_.string().c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    std::string value = "<error>";
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      value = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return value;
  }

  /// What `f` throws; "" if it returns normally.
  template <class F>
  static std::string error_of(F&& f) {
    return dfkd::test_support::message_of<std::exception>(std::forward<F>(f));
  }

  dfkd::test_support::TempDir temp_{"dfkd_store_test_"};
  fs::path dir_;
  fs::path db_;
};

bool is_hex32(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

TEST_F(StoreTest, FreshStoreHasSchemaVersionFourAndWal) {
  ResultsStore store(db_);
  EXPECT_EQ(store.schema_version(), 4);
  EXPECT_EQ(store.schema_version(), ResultsStore::kSchemaVersion);
  EXPECT_EQ(raw_scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_scalar("PRAGMA user_version"), "4");
  EXPECT_EQ(store.query("PRAGMA user_version").rows[0][0], 4);  // read-only pragmas are allowed
  auto tables = store.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::set<std::string> names;
  for (const auto& r : tables.rows) names.insert(r[0].get<std::string>());
  for (const char* t :
       {"experiment", "run", "cell", "param", "metric", "metric_summary", "artifact", "environment",
        "plugin", "run_plugin", "ingest_log", "run_input"})
    EXPECT_TRUE(names.count(t)) << t;
}

TEST_F(StoreTest, ShardStoreUsesTheRollbackJournal) {
  ResultsStore store(db_, ResultsStore::Mode::ReadWrite, ResultsStore::Journal::Rollback);
  EXPECT_EQ(raw_scalar("PRAGMA journal_mode"), "delete");
}

TEST_F(StoreTest, VersionOneStoreMigratesToTheLatestKeepingItsRuns) {
  // A store as dfkd wrote it before ingest_log existed: migration 1's SQL, user_version 1.
  raw_exec(std::string(dfkd::host::store_schema::migrations().at(0).sql) +
           "PRAGMA user_version = 1;");
  raw_exec(
      "INSERT INTO run (run_id, run_key, experiment, config_json) VALUES ('r1', 'k1', 'e', '{}')");
  {
    const std::string msg = error_of([&] { ResultsStore ro(db_, ResultsStore::Mode::ReadOnly); });
    EXPECT_NE(msg.find("older than this dfkd"), std::string::npos) << msg;
  }
  raw_exec("INSERT INTO experiment (name, definition_json) VALUES ('e', '{}')");
  ResultsStore store(db_);
  EXPECT_EQ(store.schema_version(), 4);
  EXPECT_EQ(store.find_run("r1")->run_key, "k1");
  EXPECT_TRUE(store.ingest_log().empty());
  EXPECT_FALSE(store.run_input("r1", "teacher"));
  EXPECT_EQ(store.experiment_source_file("e"), "");  // unknown for definitions stored before v3
}

TEST_F(StoreTest, VersionThreeStoreIsReadWithoutMigratingItsMachineNotRecorded) {
  // A committed archive written before schema 4: read-only commands read it as it is.
  std::string v3;
  for (int i = 0; i < 3; ++i) v3 += dfkd::host::store_schema::migrations().at(i).sql;
  raw_exec(v3 + "PRAGMA user_version = 3;");
  raw_exec(
      "INSERT INTO environment (environment_id, hostname) VALUES ('e3', 'vm');"
      "INSERT INTO run (run_id, run_key, experiment, config_json, environment_id) "
      "VALUES ('r1', 'k1', 'e', '{}', 'e3')");
  {
    const ResultsStore archive(db_, ResultsStore::Mode::ReadOnly);
    EXPECT_EQ(archive.schema_version(), 3);
    EXPECT_EQ(archive.find_run("r1")->environment_id, "e3");
    const auto env = archive.environment("e3");
    ASSERT_TRUE(env);
    EXPECT_EQ(env->hostname, "vm");
    EXPECT_EQ(env->machine(), "machine not recorded");
  }
  EXPECT_EQ(raw_scalar("PRAGMA user_version"), "3");  // reading changed nothing
  ResultsStore store(db_);                            // writing migrates
  EXPECT_EQ(store.schema_version(), 4);
  EXPECT_EQ(store.environment("e3")->cpus, 0);
}

TEST_F(StoreTest, CreatesMissingParentDirectories) {
  const fs::path nested = dir_ / "a" / "b" / "results.db";
  ResultsStore store(nested);
  EXPECT_TRUE(fs::exists(nested));
}

TEST_F(StoreTest, ReopeningIsIdempotent) {
  std::string id;
  {
    ResultsStore store(db_);
    id = store.plan_run(plan("k1")).run_id;
  }
  for (int i = 0; i < 2; ++i) {
    ResultsStore store(db_);
    EXPECT_EQ(store.schema_version(), 4);
    auto run = store.find_run(id);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->run_key, "k1");
    EXPECT_EQ(store.runs().size(), 1u);
  }
}

TEST_F(StoreTest, PlanRunTwiceWithSameKeyReturnsSameRun) {
  ResultsStore store(db_);
  const RunRecord a = store.plan_run(plan("same"));
  RunPlan other = plan("same", "KD");
  other.experiment = "fig2";
  const RunRecord b = store.plan_run(other);
  EXPECT_EQ(a.run_id, b.run_id);
  EXPECT_EQ(b.experiment, "table1");  // the first planner's record is kept
  EXPECT_EQ(b.row, "DFAL");
  EXPECT_EQ(b.status, RunStatus::Planned);
  EXPECT_EQ(b.attempt, 0);
  EXPECT_EQ(b.config["method"]["options"]["iters"], 50);
  EXPECT_FALSE(b.created_at.empty());
  EXPECT_EQ(b.created_at.back(), 'Z');
  EXPECT_EQ(store.runs().size(), 1u);
}

TEST_F(StoreTest, RunIdsAreRandomHexAndDistinct) {
  ResultsStore store(db_);
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    const auto r = store.plan_run(plan("key" + std::to_string(i)));
    EXPECT_TRUE(is_hex32(r.run_id)) << r.run_id;
    ids.insert(r.run_id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST_F(StoreTest, ParentRunIdIsResolvedFromParentKeyInEitherOrder) {
  ResultsStore store(db_);
  RunPlan teacher = plan("teacher-key", "Teacher");
  teacher.role = "teacher";
  const auto t = store.plan_run(teacher);
  RunPlan student = plan("student-key");
  student.parent_run_key = "teacher-key";
  EXPECT_EQ(store.plan_run(student).parent_run_id, t.run_id);

  // A student planned before its teacher learns the teacher's id when the teacher is planned.
  RunPlan early = plan("early-student");
  early.parent_run_key = "late-teacher";
  const auto s = store.plan_run(early);
  EXPECT_EQ(s.parent_run_id, "");
  EXPECT_EQ(s.parent_run_key, "late-teacher");
  const auto lt = store.plan_run(plan("late-teacher", "Teacher"));
  EXPECT_EQ(store.find_run(s.run_id)->parent_run_id, lt.run_id);
}

TEST_F(StoreTest, FindRunAcceptsUniquePrefixAndRejectsAmbiguousOne) {
  ResultsStore store(db_);
  std::map<char, std::vector<std::string>> by_first;
  for (int i = 0; i < 40; ++i) {
    const auto id = store.plan_run(plan("key" + std::to_string(i))).run_id;
    by_first[id[0]].push_back(id);
  }
  // 40 ids over 16 first characters: some prefix is shared.
  auto shared = std::find_if(by_first.begin(), by_first.end(),
                             [](const auto& kv) { return kv.second.size() > 1; });
  ASSERT_NE(shared, by_first.end());
  const std::string prefix(1, shared->first);
  const std::string msg = error_of([&] { store.find_run(prefix); });
  EXPECT_NE(msg.find("ambiguous"), std::string::npos) << msg;
  for (const auto& id : shared->second) EXPECT_NE(msg.find(id), std::string::npos) << msg;
  EXPECT_NE(msg.find(db_.string()), std::string::npos) << msg;

  const std::string id = shared->second.front();
  EXPECT_EQ(store.find_run(id)->run_id, id);
  EXPECT_EQ(store.find_run(id.substr(0, 16))->run_id, id);
  EXPECT_FALSE(store.find_run("zzzz"));
  EXPECT_FALSE(store.find_run(""));
  EXPECT_FALSE(store.find_run_by_key("no-such-key"));
}

TEST_F(StoreTest, ClaimRunIsExclusiveUntilTheHeartbeatIsStale) {
  ResultsStore store(db_);
  const auto env =
      store.ensure_environment({"abc123", true, "GNU 12", "1.13.1", "cpu", 2, "openblas", "host1"});
  const auto id = store.plan_run(plan("k")).run_id;

  ASSERT_TRUE(store.claim_run(id, env));
  auto run = store.find_run(id);
  EXPECT_EQ(run->status, RunStatus::Running);
  EXPECT_EQ(run->attempt, 1);
  EXPECT_EQ(run->environment_id, env);
  EXPECT_FALSE(run->started_at.empty());
  EXPECT_FALSE(run->heartbeat_at.empty());
  EXPECT_LT(run->heartbeat_age_seconds, 60.0);

  EXPECT_FALSE(store.claim_run(id, env));  // fresh heartbeat: someone holds it

  // Its claimant died an hour ago.
  raw_exec(
      "UPDATE run SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3600 seconds') "
      "WHERE run_id = '" +
      id + "'");
  run = store.find_run(id);
  EXPECT_GT(run->heartbeat_age_seconds, 3500.0);
  EXPECT_LT(run->heartbeat_age_seconds, 3700.0);
  EXPECT_FALSE(store.claim_run(id, env, 7200));  // not stale by this threshold
  ASSERT_TRUE(store.claim_run(id, env, 120));
  EXPECT_EQ(store.find_run(id)->attempt, 2);

  // Threshold 0: any heartbeat that is not from this very millisecond is stale.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(store.claim_run(id, env, 0));
  EXPECT_EQ(store.find_run(id)->attempt, 3);

  store.complete_run(id, {}, 1.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(store.claim_run(id, env, 0));  // completed runs are never reclaimed
  EXPECT_EQ(store.find_run(id)->status, RunStatus::Completed);

  EXPECT_THROW_WITH_MESSAGE(store.claim_run("0123456789abcdef0123456789abcdef", env),
                            std::exception, "no run with id");
}

TEST_F(StoreTest, FailedAndKilledRunsAreReclaimed) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  store.end_run(id, RunStatus::Failed, "NaN loss at epoch 3 step 120", 2.5);
  auto run = store.find_run(id);
  EXPECT_EQ(run->status, RunStatus::Failed);
  EXPECT_EQ(run->error, "NaN loss at epoch 3 step 120");
  EXPECT_FALSE(run->finished_at.empty());
  ASSERT_TRUE(store.claim_run(id, ""));
  run = store.find_run(id);
  EXPECT_EQ(run->attempt, 2);
  EXPECT_EQ(run->error, "");
  EXPECT_EQ(run->finished_at, "");
  store.end_run(id, RunStatus::Killed, "interrupted", 1);
  EXPECT_TRUE(store.claim_run(id, ""));
}

TEST_F(StoreTest, LogEpochAndMetricSeriesRoundTrip) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  for (int e = 1; e <= 5; ++e)
    store.log_epoch(id, e, e * 100, {{"test_accuracy", 0.5 + 0.1 * e}, {"loss", 1.0 / e}});
  store.log_epoch(id, 6, 600, {{"loss", std::nan("")}});

  const auto acc = store.metric_series(id, "test_accuracy");
  ASSERT_EQ(acc.size(), 5u);
  for (int e = 1; e <= 5; ++e) {
    EXPECT_EQ(acc[e - 1].epoch, e);
    EXPECT_EQ(acc[e - 1].step, e * 100);
    EXPECT_DOUBLE_EQ(acc[e - 1].value, 0.5 + 0.1 * e);
  }
  const auto loss = store.metric_series(id, "loss");
  ASSERT_EQ(loss.size(), 6u);
  EXPECT_TRUE(std::isnan(loss.back().value));
  EXPECT_EQ(store.metric_keys(id), (std::vector<std::string>{"loss", "test_accuracy"}));
  EXPECT_EQ(store.find_run(id)->epochs_done, 6);
  EXPECT_TRUE(store.metric_series(id, "nope").empty());

  // Re-logging an epoch replaces its values.
  store.log_epoch(id, 2, 250, {{"test_accuracy", 0.99}});
  EXPECT_DOUBLE_EQ(store.metric_series(id, "test_accuracy")[1].value, 0.99);
  EXPECT_EQ(store.metric_series(id, "test_accuracy")[1].step, 250);
}

TEST_F(StoreTest, TruncateMetricsDropsLaterEpochs) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  for (int e = 1; e <= 6; ++e) store.log_epoch(id, e, e, {{"a", e}, {"b", -e}});
  store.truncate_metrics(id, 3);
  EXPECT_EQ(store.metric_series(id, "a").size(), 3u);
  EXPECT_EQ(store.metric_series(id, "b").back().epoch, 3);
  EXPECT_EQ(store.find_run(id)->epochs_done, 3);
  store.log_epoch(id, 4, 4, {{"a", 40}});
  EXPECT_DOUBLE_EQ(store.metric_series(id, "a").back().value, 40.0);
}

TEST_F(StoreTest, CompleteRunStoresSummariesParamsAndStatus) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  store.log_epoch(id, 1, 10, {{"test_accuracy", 0.7}});
  store.log_epoch(id, 2, 20, {{"test_accuracy", 0.9}});
  store.log_epoch(id, 3, 30, {{"test_accuracy", 0.8}});
  store.complete_run(id, {{"test_accuracy", 0.8, 0.9, 2, "max"}, {"loss", 0.1, 0.05, 2, "min"}},
                     12.5);

  const auto run = store.find_run(id);
  EXPECT_EQ(run->status, RunStatus::Completed);
  EXPECT_DOUBLE_EQ(run->wall_seconds, 12.5);
  EXPECT_FALSE(run->finished_at.empty());

  const auto s = store.summaries(id);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].key, "loss");
  EXPECT_EQ(s[0].mode, "min");
  EXPECT_EQ(s[1].key, "test_accuracy");
  EXPECT_DOUBLE_EQ(s[1].final_value, 0.8);
  EXPECT_DOUBLE_EQ(s[1].best_value, 0.9);
  EXPECT_EQ(s[1].best_epoch, 2);
  EXPECT_EQ(s[1].mode, "max");

  const auto params =
      store.query("SELECT key, value_type, value_text, value_real FROM param WHERE run_id = '" +
                  id + "' ORDER BY key");
  std::map<std::string, std::vector<json>> by_key;
  for (const auto& r : params.rows) by_key[r[0].get<std::string>()] = r;
  ASSERT_TRUE(by_key.count("method.options.student_lr"));
  EXPECT_EQ(by_key["method.options.student_lr"][1], "real");
  EXPECT_DOUBLE_EQ(by_key["method.options.student_lr"][3].get<double>(), 0.1);
  EXPECT_EQ(by_key["method.options.iters"][1], "int");
  EXPECT_EQ(by_key["method.options.iters"][2], "50");
  EXPECT_EQ(by_key["method.name"][1], "text");
  EXPECT_EQ(by_key["method.name"][2], "dfad");
  EXPECT_EQ(by_key["deterministic"][1], "bool");
  EXPECT_EQ(by_key["deterministic"][2], "true");
  EXPECT_EQ(by_key["widths.1"][2], "32");
  EXPECT_EQ(by_key["note"][1], "null");
  EXPECT_TRUE(by_key["note"][2].is_null());

  // Completed is final for complete_run and end_run.
  EXPECT_THROW_WITH_MESSAGE(store.complete_run(id, {}, 1), std::exception, "already completed");
  EXPECT_THROW_WITH_MESSAGE(store.end_run(id, RunStatus::Killed, "x", 1), std::exception,
                            "already completed");
  // A bad summary mode is refused before anything is written.
  const auto id2 = store.plan_run(plan("k2")).run_id;
  ASSERT_TRUE(store.claim_run(id2, ""));
  EXPECT_THROW_WITH_MESSAGE(store.complete_run(id2, {{"acc", 1, 1, 1, "best"}}, 1), std::exception,
                            "expected 'max' or 'min'");
  EXPECT_EQ(store.find_run(id2)->status, RunStatus::Running);
}

TEST_F(StoreTest, EndRunKilledKeepsMetricsAndOnlyAcceptsFailedOrKilled) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  store.log_epoch(id, 1, 10, {{"loss", 2.0}});
  store.log_epoch(id, 2, 20, {{"loss", 1.0}});
  EXPECT_THROW(store.end_run(id, RunStatus::Completed, "", 1), std::invalid_argument);
  EXPECT_THROW(store.end_run(id, RunStatus::Running, "", 1), std::invalid_argument);
  store.end_run(id, RunStatus::Killed, "interrupted by SIGINT at epoch 2", 3.0);
  const auto run = store.find_run(id);
  EXPECT_EQ(run->status, RunStatus::Killed);
  EXPECT_EQ(run->error, "interrupted by SIGINT at epoch 2");
  EXPECT_DOUBLE_EQ(run->wall_seconds, 3.0);
  EXPECT_EQ(store.metric_series(id, "loss").size(), 2u);
  EXPECT_EQ(run->epochs_done, 2);
  EXPECT_EQ(store.runs("", "killed").size(), 1u);
  EXPECT_TRUE(store.runs("", "completed").empty());
  EXPECT_THROW(store.runs("", "bogus"), std::invalid_argument);
}

// A resumed run's time is every attempt's: killed after 3 s, failed after 2 s, completed after
// 4 s records 9 s; a second report of an ended attempt and a dead claimant's time count once.
TEST_F(StoreTest, WallSecondsSumOverAttempts) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  store.end_run(id, RunStatus::Killed, "interrupted", 3.0);
  store.end_run(id, RunStatus::Killed, "interrupted (reported again by the watchdog)", 3.5);
  EXPECT_DOUBLE_EQ(store.find_run(id)->wall_seconds, 3.0);
  ASSERT_TRUE(store.claim_run(id, ""));
  EXPECT_DOUBLE_EQ(store.find_run(id)->wall_seconds, 3.0);  // claiming adds nothing
  store.end_run(id, RunStatus::Failed, "NaN loss", 2.0);
  ASSERT_TRUE(store.claim_run(id, ""));
  store.complete_run(id, {}, 4.0);
  auto run = store.find_run(id);
  EXPECT_EQ(run->attempt, 3);
  EXPECT_DOUBLE_EQ(run->wall_seconds, 9.0);

  // A claimant that died 60 s into its attempt (last heartbeat) never reported: the next claim
  // counts those 60 s.
  const auto id2 = store.plan_run(plan("k2")).run_id;
  ASSERT_TRUE(store.claim_run(id2, ""));
  raw_exec(
      "UPDATE run SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3660 seconds'), "
      "heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3600 seconds') WHERE run_id = '" +
      id2 + "'");
  ASSERT_TRUE(store.claim_run(id2, "", 120));
  EXPECT_NEAR(store.find_run(id2)->wall_seconds, 60.0, 0.01);
  store.complete_run(id2, {}, 5.0);
  EXPECT_NEAR(store.find_run(id2)->wall_seconds, 65.0, 0.01);

  // --force starts the count over.
  ASSERT_TRUE(store.reset_run(id));
  EXPECT_DOUBLE_EQ(store.find_run(id)->wall_seconds, 0.0);
}

TEST_F(StoreTest, ResetRunReturnsAFinishedRunToPlanned) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  EXPECT_FALSE(store.reset_run(id));  // live claimant
  store.log_epoch(id, 1, 1, {{"loss", 1.0}});
  store.complete_run(id, {{"loss", 1, 1, 1, "min"}}, 1);
  ASSERT_TRUE(store.reset_run(id));
  const auto run = store.find_run(id);
  EXPECT_EQ(run->status, RunStatus::Planned);
  EXPECT_EQ(run->attempt, 1);
  EXPECT_TRUE(store.metric_keys(id).empty());
  EXPECT_TRUE(store.summaries(id).empty());
  EXPECT_TRUE(store.claim_run(id, ""));
}

TEST_F(StoreTest, ArtifactsRoundTrip) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  ArtifactRecord ckpt;
  ckpt.run_id = id;
  ckpt.kind = "checkpoint";
  ckpt.path = "checkpoints/k/epoch3.pt";
  ckpt.sha256 = dfkd::host::sha256_hex("ckpt");
  ckpt.bytes = 1234;
  const std::string ckpt_id = store.add_artifact(ckpt);
  EXPECT_TRUE(is_hex32(ckpt_id));
  ArtifactRecord fig = ckpt;
  fig.artifact_id = "fig-1";
  fig.kind = "figure";
  fig.path = "/abs/fig.png";
  EXPECT_EQ(store.add_artifact(fig), "fig-1");

  const auto all = store.artifacts(id);
  ASSERT_EQ(all.size(), 2u);
  const auto only = store.artifacts(id, "checkpoint");
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].artifact_id, ckpt_id);
  EXPECT_EQ(only[0].run_id, id);
  EXPECT_EQ(only[0].path, "checkpoints/k/epoch3.pt");
  EXPECT_EQ(only[0].sha256, ckpt.sha256);
  EXPECT_EQ(only[0].bytes, 1234);
  EXPECT_FALSE(only[0].created_at.empty());
  EXPECT_TRUE(store.artifacts(id, "model").empty());

  ArtifactRecord orphan = ckpt;
  orphan.run_id = "nope";
  EXPECT_THROW_WITH_MESSAGE(store.add_artifact(orphan), std::exception, "no run with id 'nope'");
}

TEST_F(StoreTest, CellsExperimentsEnvironmentAndPlugins) {
  ResultsStore store(db_);
  store.upsert_experiment("table1", "Table 1", {{"rows", {"KD", "DFAL"}}});
  store.upsert_experiment("table1", "Table 1 (paper)", {{"rows", {"KD"}}});
  store.upsert_experiment("fig2", "Figure 2", json::object());
  EXPECT_EQ(store.experiments(), (std::vector<std::string>{"fig2", "table1"}));
  EXPECT_EQ((*store.experiment_definition("table1"))["rows"], json({"KD"}));
  EXPECT_FALSE(store.experiment_definition("nope"));

  const auto r1 = store.plan_run(plan("k1"));
  const auto r2 = store.plan_run(plan("k2"));
  store.link_cell({"table1", "smoke", "DFAL", "two_moons", 1, "k1"});
  store.link_cell({"table1", "quick", "DFAL", "two_moons", 1, "k2"});
  store.link_cell({"table1", "smoke", "DFAL", "two_moons", 2, "k2"});
  EXPECT_EQ(store.cells("table1").size(), 3u);
  const auto smoke = store.cells("table1", "smoke");
  ASSERT_EQ(smoke.size(), 2u);
  EXPECT_EQ(smoke[0].seed, 1);
  EXPECT_EQ(smoke[0].run_key, "k1");
  store.link_cell({"table1", "smoke", "DFAL", "two_moons", 1, "k2"});  // relink
  EXPECT_EQ(store.cells("table1", "smoke")[0].run_key, "k2");
  EXPECT_THROW(store.link_cell({"table1", "smoke", "KD", "two_moons", 1, "missing"}),
               std::runtime_error);

  const EnvironmentInfo env{"abc", false,      "GNU 12.2", "1.13.1",   "cpu",
                            2,     "openblas", "h",        "AMD EPYC", 2};
  const auto e1 = store.ensure_environment(env);
  EXPECT_EQ(e1.size(), 64u);
  EXPECT_EQ(store.ensure_environment(env), e1);
  EnvironmentInfo dirty = env;
  dirty.git_dirty = true;
  EXPECT_NE(store.ensure_environment(dirty), e1);
  // Same hostname, another CPU: another machine (cloud hosts are all "vm").
  EnvironmentInfo xeon = env;
  xeon.cpu_model = "Intel Xeon";
  const auto e2 = store.ensure_environment(xeon);
  EXPECT_NE(e2, e1);
  EXPECT_EQ(store.environment(e1)->machine(), "AMD EPYC, 2 CPUs");
  EXPECT_EQ(store.environment(e2)->machine(), "Intel Xeon, 2 CPUs");
  EXPECT_EQ(store.environment(e1)->hostname, "h");
  EXPECT_TRUE(store.environment(e1)->git_dirty == false);
  EXPECT_FALSE(store.environment("no-such-id"));

  const std::vector<PluginRecord> plugins = {
      {"method", "dfad", "1.0.0", "aa", "/p/libdfad.so", "dfkd.Method/1"},
      {"model", "lenet5", "1.0.0", "bb", "/p/liblenet5.so", "dfkd.Model/1"}};
  store.record_plugins(r1.run_id, plugins);
  store.record_plugins(r2.run_id, plugins);
  store.record_plugins(r2.run_id, plugins);  // idempotent
  const auto counts =
      store.query("SELECT (SELECT count(*) FROM plugin), (SELECT count(*) FROM run_plugin)");
  EXPECT_EQ(counts.rows[0][0], 2);
  EXPECT_EQ(counts.rows[0][1], 4);
}

// /proc/cpuinfo as x86 and Arm kernels print it (abridged): x86 names the model, Arm only the
// core's implementer and part codes (recorded as "unknown" before).
TEST(CpuModelTest, NamesTheCpuOfX86AndArmCpuinfo) {
  using dfkd::host::cpu_model_from_cpuinfo;
  std::istringstream x86(
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7B13\n");
  EXPECT_EQ(cpu_model_from_cpuinfo(x86), "AMD EPYC 7B13");
  const std::string arm =
      "processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"
      "CPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: {}\nCPU revision\t: 1\n\n"
      "processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: {}\n";
  std::istringstream n1(fmt::format(arm, "0xd0c", "0xd0c"));
  EXPECT_EQ(cpu_model_from_cpuinfo(n1), "Arm Neoverse-N1");
  std::istringstream other(fmt::format(arm, "0xfff", "0xfff"));
  EXPECT_EQ(cpu_model_from_cpuinfo(other), "Arm CPU implementer 0x41 part 0xfff");
  std::istringstream none("processor\t: 0\n");
  EXPECT_EQ(cpu_model_from_cpuinfo(none), "unknown");
}

TEST_F(StoreTest, QueryIsReadOnly) {
  ResultsStore store(db_);
  const auto id = store.plan_run(plan("k")).run_id;
  const std::vector<std::string> writes = {
      "INSERT INTO experiment (name, definition_json) VALUES ('x', '{}')",
      "DELETE FROM run",
      "UPDATE run SET status = 'completed'",
      "ATTACH DATABASE '" + (dir_ / "other.db").string() + "' AS other",
      "  -- comment\n  delete from run",
      "DROP TABLE run",
      "WITH x AS (SELECT 1) DELETE FROM run",
      "PRAGMA user_version = 7",
      "SELECT 1; DELETE FROM run"};
  for (const std::string& sql : writes) {
    const std::string msg = error_of([&] { store.query(sql); });
    EXPECT_FALSE(msg.empty()) << sql;
    EXPECT_TRUE(msg.find("read-only") != std::string::npos ||
                msg.find("refused") != std::string::npos ||
                msg.find("one SQL statement") != std::string::npos)
        << sql << " -> " << msg;
    EXPECT_NE(msg.find(db_.string()), std::string::npos) << msg;
  }
  EXPECT_THROW_WITH_MESSAGE(store.query("INSERT INTO run DEFAULT VALUES"), std::exception,
                            "INSERT");
  EXPECT_FALSE(fs::exists(dir_ / "other.db"));
  EXPECT_EQ(store.runs().size(), 1u);
  EXPECT_EQ(store.schema_version(), 4);
  EXPECT_EQ(store.find_run(id)->status, RunStatus::Planned);

  const auto r = store.query(
      "SELECT run_id, seed, 0.5 AS half, NULL AS none, x'00ff10' AS bin, status FROM run;  ");
  EXPECT_EQ(r.columns,
            (std::vector<std::string>{"run_id", "seed", "half", "none", "bin", "status"}));
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0], id);
  EXPECT_TRUE(r.rows[0][1].is_number_integer());
  EXPECT_EQ(r.rows[0][1], 1);
  EXPECT_DOUBLE_EQ(r.rows[0][2].get<double>(), 0.5);
  EXPECT_TRUE(r.rows[0][3].is_null());
  EXPECT_EQ(r.rows[0][4], "<blob 3 bytes>");
  EXPECT_EQ(r.rows[0][5], "planned");

  EXPECT_TRUE(store.query("SELECT * FROM metric").rows.empty());
  EXPECT_THROW_WITH_MESSAGE(store.query("SELECT * FROM no_such_table"), std::exception,
                            "no such table");
  EXPECT_THROW_WITH_MESSAGE(store.query("   "), std::exception, "empty");
}

TEST_F(StoreTest, NewerSchemaVersionIsRefusedUntouched) {
  raw_exec("CREATE TABLE future (x); PRAGMA user_version = 99;");
  const std::string expected = "store schema version 99 is newer than this dfkd (4); upgrade dfkd";
  std::string msg = error_of([&] { ResultsStore store(db_); });
  EXPECT_NE(msg.find(expected), std::string::npos) << msg;
  EXPECT_NE(msg.find(db_.string()), std::string::npos) << msg;
  msg = error_of([&] { ResultsStore store(db_, ResultsStore::Mode::ReadOnly); });
  EXPECT_NE(msg.find(expected), std::string::npos) << msg;

  // Untouched: still version 99, still the rollback journal, no dfkd tables.
  EXPECT_EQ(raw_scalar("PRAGMA user_version"), "99");
  EXPECT_EQ(raw_scalar("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(raw_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'run'"), "0");
}

TEST_F(StoreTest, ForeignDatabaseIsRefused) {
  raw_exec("CREATE TABLE unrelated (x)");
  const std::string msg = error_of([&] { ResultsStore store(db_); });
  EXPECT_NE(msg.find("no dfkd schema version"), std::string::npos) << msg;
}

TEST_F(StoreTest, ReadOnlyOpenOfMissingFileFailsNamingThePath) {
  const std::string msg = error_of([&] { ResultsStore store(db_, ResultsStore::Mode::ReadOnly); });
  EXPECT_NE(msg.find(db_.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("dfkd run"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(StoreTest, ReadOnlyStoreReadsButNeverWrites) {
  std::string id;
  {
    ResultsStore store(db_);
    id = store.plan_run(plan("k")).run_id;
    store.claim_run(id, "");
    store.log_epoch(id, 1, 1, {{"loss", 0.5}});
  }
  ResultsStore ro(db_, ResultsStore::Mode::ReadOnly);
  EXPECT_EQ(ro.mode(), ResultsStore::Mode::ReadOnly);
  EXPECT_EQ(ro.schema_version(), 4);
  EXPECT_EQ(ro.find_run(id)->status, RunStatus::Running);
  EXPECT_EQ(ro.metric_series(id, "loss").size(), 1u);
  EXPECT_EQ(ro.query("SELECT count(*) FROM run").rows[0][0], 1);
  const std::string msg = error_of([&] { ro.claim_run(id, "", 0); });
  EXPECT_NE(msg.find("read-only"), std::string::npos) << msg;
  EXPECT_THROW(ro.plan_run(plan("k2")), std::runtime_error);
  EXPECT_THROW(ro.log_epoch(id, 2, 2, {{"loss", 0.1}}), std::runtime_error);
}

TEST_F(StoreTest, TwoStoresOnOneFileOnlyOneClaimSucceeds) {
  ResultsStore a(db_);
  ResultsStore b(db_);
  const auto id = a.plan_run(plan("k")).run_id;
  EXPECT_EQ(b.plan_run(plan("k")).run_id, id);
  const bool ca = a.claim_run(id, "");
  const bool cb = b.claim_run(id, "");
  EXPECT_TRUE(ca);
  EXPECT_FALSE(cb);
}

TEST_F(StoreTest, ConcurrentClaimsFromSeparateConnectionsNeverDoubleClaim) {
  std::vector<std::string> ids;
  {
    ResultsStore store(db_);
    for (int i = 0; i < 30; ++i)
      ids.push_back(store.plan_run(plan("k" + std::to_string(i))).run_id);
  }
  constexpr int kWorkers = 4;
  std::vector<std::vector<std::string>> claimed(kWorkers);
  std::vector<std::string> errors(kWorkers);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      try {
        ResultsStore store(db_);  // one connection per worker, like one process each
        for (const auto& id : ids)
          if (store.claim_run(id, "")) {
            claimed[w].push_back(id);
            store.log_epoch(id, 1, 1, {{"worker", w}});
          }
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::multiset<std::string> all;
  for (int w = 0; w < kWorkers; ++w) {
    EXPECT_EQ(errors[w], "") << "worker " << w;
    all.insert(claimed[w].begin(), claimed[w].end());
  }
  EXPECT_EQ(all.size(), ids.size());
  for (const auto& id : ids) EXPECT_EQ(all.count(id), 1u) << id;
}

TEST_F(StoreTest, RunStatusStrings) {
  for (auto s : {RunStatus::Planned, RunStatus::Running, RunStatus::Completed, RunStatus::Failed,
                 RunStatus::Killed})
    EXPECT_EQ(dfkd::host::run_status_from_string(dfkd::host::to_string(s)), s);
  EXPECT_THROW(dfkd::host::run_status_from_string("done"), std::invalid_argument);
}
