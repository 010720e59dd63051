// `dfkd export` + `dfkd ingest ARCHIVE`: an experiment's runs carried to a fresh store (another
// machine, a new checkout) give the same table, and `dfkd run` there trains nothing again.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/cli_fixture.hpp"

namespace {

using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;
using dfkd::test_support::count;
namespace fs = std::filesystem;

/// The table without its first lines (they name the store it was read from).
std::string table_body(const std::string& table) {
  const auto at = table.find("| ");
  return at == std::string::npos ? table : table.substr(at);
}

TEST_F(CliTest, ExportedRunsIngestIntoAFreshStoreWithTheSameTableAndNothingToTrain) {
  const auto run = cli("run '" + experiment() + "' --profile smoke --no-table " + db_arg());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const fs::path archive = dir_ / "archive";
  const auto exported =
      cli("export two_moons --profile smoke --out '" + archive.string() + "' " + db_arg());
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  // 3 student rows x 2 seeds + the column's teacher (it has no cell, the students read it).
  EXPECT_NE(exported.output.find("exported 7 completed runs of two_moons (profile smoke)"),
            std::string::npos)
      << exported.output;
  EXPECT_NE(exported.output.find("artifact files of 1 run)"), std::string::npos) << exported.output;

  const auto manifest = nlohmann::json::parse(std::ifstream(archive / "archive.json"));
  ASSERT_EQ(manifest.at("runs").size(), 7u);
  int with_files = 0;
  for (const auto& r : manifest.at("runs")) {
    const bool files = r.at("files").get<bool>();
    with_files += files ? 1 : 0;
    EXPECT_EQ(files, r.at("role") == "teacher") << r.dump();
  }
  EXPECT_EQ(with_files, 1);
  EXPECT_FALSE(fs::exists(archive / "runs.db-wal")) << "the archive must be one file";

  const fs::path fresh = dir_ / "fresh" / "results.db";
  fs::create_directories(fresh.parent_path());
  const std::string fresh_db = "--db '" + fresh.string() + "'";
  const auto ingested = cli("ingest '" + archive.string() + "' " + fresh_db);
  ASSERT_EQ(ingested.exit_code, 0) << ingested.output;
  EXPECT_NE(ingested.output.find("7 merged"), std::string::npos) << ingested.output;
  EXPECT_NE(ingested.output.find("experiment two_moons: definition added"), std::string::npos)
      << ingested.output;

  const auto here = cli("table two_moons --profile smoke " + db_arg());
  const auto there = cli("table two_moons --profile smoke " + fresh_db);
  ASSERT_EQ(there.exit_code, 0) << there.output;
  EXPECT_EQ(table_body(there.output), table_body(here.output));

  {
    ResultsStore store(fresh, ResultsStore::Mode::ReadOnly);
    for (const auto& r : store.runs("two_moons")) {
      EXPECT_EQ(r.status, RunStatus::Completed);
      const auto models = store.artifacts(r.run_id, "model");
      if (r.role == "teacher") {
        ASSERT_EQ(models.size(), 1u);
        EXPECT_TRUE(fs::exists(fresh.parent_path() / models[0].path)) << models[0].path;
      } else {
        EXPECT_TRUE(models.empty()) << r.row << ": only the runs others read keep their files";
        // Students of the teacher are linked to it in the fresh store too.
        EXPECT_EQ(r.parent_run_id.empty(), r.parent_run_key.empty()) << r.row;
      }
    }
  }
  // The whole experiment is found by run key: nothing to train.
  const auto again = cli("run '" + experiment() + "' --profile smoke --no-table " + fresh_db);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(count(again.output, "  epoch "), 0) << again.output;

  // Twice changes nothing; a second export replaces the archive as a whole.
  const auto twice = cli("ingest '" + archive.string() + "' " + fresh_db);
  EXPECT_NE(twice.output.find("0 merged, 7 already ingested"), std::string::npos) << twice.output;
  const auto all = cli("export two_moons --profile smoke --artifacts all --out '" +
                       archive.string() + "' " + db_arg());
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_NE(all.output.find("artifact files of 7 runs)"), std::string::npos) << all.output;
}

// Two archives holding different definitions of one experiment (an archive also carries, as they
// were then, the definitions of other experiments that share its runs): whatever the order of the
// ingests, the store ends with the newer one, and says what it did with the other.
TEST_F(CliTest, IngestKeepsTheNewerOfTwoDefinitionsInEitherOrder) {
  const auto only = std::string(" --profile smoke --only Student --seeds 1 --no-table ");
  auto r = cli("run '" + experiment() + "'" + only + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = cli("export two_moons --profile smoke --out old " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto newer = patched_experiment({{"title", "two moons, revised"}});
  r = cli("run '" + newer + "'" + only + "--replace-definition " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = cli("export two_moons --profile smoke --out new " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;

  const auto title = [&](const std::string& db) {
    const auto q =
        cli("query \"SELECT title FROM experiment WHERE name = 'two_moons'\" --format "
            "csv --db " +
            db);
    EXPECT_EQ(q.exit_code, 0) << q.output;
    return q.output;
  };
  r = cli("ingest old --db a.db");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = cli("ingest new --db a.db");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("experiment two_moons: definition replaced by the archive's newer one ("),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("changed: title"), std::string::npos) << r.output;
  EXPECT_NE(title("a.db").find("two moons, revised"), std::string::npos);

  r = cli("ingest new --db b.db");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = cli("ingest old --db b.db");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("experiment two_moons: the store's definition kept, the archive's is "
                          "older ("),
            std::string::npos)
      << r.output;
  EXPECT_NE(title("b.db").find("two moons, revised"), std::string::npos);
  r = cli("ingest old --db b.db");  // again: the two still differ, and the store still wins
  EXPECT_NE(r.output.find("the store's definition kept"), std::string::npos) << r.output;
}

// A run shared by two experiments (same run key) belongs to both: `dfkd runs --experiment`
// lists it, with its teacher, under each experiment's own row name, and `runs show` names every
// cell that reads it, not only the experiment that planned it first.
TEST_F(CliTest, ASharedRunIsListedUnderEveryExperimentThatReadsIt) {
  auto r = cli("run '" + experiment() + "' --profile smoke --only DFAL --seeds 1 --no-table " +
               db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto copy = experiment_json();
  copy["experiment"] = "moons_copy";
  auto dfal = copy["rows"][2];
  ASSERT_EQ(dfal["name"], "DFAL");
  dfal["name"] = "Copied";
  copy["rows"] = {copy["rows"][0], dfal};
  copy["profiles"]["smoke"]["rows"] = {{"Copied", copy["profiles"]["smoke"]["rows"]["DFAL"]}};
  r = cli("run '" + write_experiment(copy, "copy.json") +
          "' --profile smoke --only Copied --seeds 1 " + "--no-table " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NE(r.output.find("0 completed now"), std::string::npos) << "the run is shared\n"
                                                                 << r.output;
  r = cli("runs --experiment moons_copy " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(" moons_copy   Copied "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" moons_copy   Teacher "), std::string::npos) << r.output;
  EXPECT_EQ(count(r.output, "completed"), 2) << r.output;

  std::string id;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    for (const auto& run : store.runs("two_moons"))
      if (run.row == "DFAL") id = run.run_id;
  }
  r = cli("runs show " + id + " " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("  cell       moons_copy / Copied / "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  cell       two_moons / DFAL / "), std::string::npos) << r.output;

  // moons_copy's archive lists the run as first planned (two_moons' DFAL) and under its own cell.
  r = cli("export moons_copy --profile smoke --out copy_archive " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto manifest = nlohmann::json::parse(std::ifstream(dir_ / "copy_archive/archive.json"));
  bool found = false;
  for (const auto& run : manifest.at("runs")) {
    if (run.at("row") != "DFAL") continue;
    found = true;
    ASSERT_EQ(run.at("cells").size(), 1u) << run.dump();
    EXPECT_EQ(run.at("cells")[0].at("row"), "Copied") << run.dump();
    EXPECT_EQ(run.at("cells")[0].at("column"), "two_moons") << run.dump();
  }
  EXPECT_TRUE(found) << manifest.dump(1);
}

/// Sets run `run_key`'s columns in the store file `db` (a state a test cannot wait for).
void set_run(const fs::path& db, const std::string& run_key, const std::string& assignments) {
  SQLite::Database sql(db.string(), SQLite::OPEN_READWRITE);
  SQLite::Statement st(sql, "UPDATE run SET " + assignments + " WHERE run_key = ?1");
  st.bind(1, run_key);
  ASSERT_EQ(st.exec(), 1) << assignments;
}

// A seed that diverges every time is an outcome: the archive carries it failed (its error, no
// files), so another store's table says "failed" where it would otherwise look not run yet. It
// never replaces a run that store has completed or tried itself; a failure of another kind (a
// worker killed) is no outcome and stays out of the archive.
TEST_F(CliTest, ADivergedRunTravelsInTheArchiveAndNeverReplacesTheStoresOwnAttempt) {
  auto e = experiment_json();
  const auto teacher = e["rows"][0];
  e["rows"] = {teacher,
               {{"name", "Diverges"},
                {"method",
                 {{"plugin", "dfad"}, {"options", {{"student_lr", 1e30}, {"generator_lr", 1e30}}}}},
                {"generator", {{"plugin", "mlp_generator"}}}}};
  e["profiles"]["smoke"].erase("rows");
  const auto file = write_experiment(e);
  const auto run = cli("run '" + file + "' --profile smoke --seeds 1 --no-table " + db_arg());
  ASSERT_EQ(run.exit_code, 1) << run.output;
  const fs::path archive = dir_ / "archive";
  const std::string export_cmd =
      "export two_moons --profile smoke --out '" + archive.string() + "' " + db_arg();
  const auto exported = cli(export_cmd);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("exported 1 completed runs and 1 that diverged of two_moons"),
            std::string::npos)
      << exported.output;
  const auto manifest = nlohmann::json::parse(std::ifstream(archive / "archive.json"));
  ASSERT_EQ(manifest.at("runs").size(), 2u);
  std::string diverged_key;
  for (const auto& r : manifest.at("runs")) {
    const bool diverged = r.at("row") == "Diverges";
    EXPECT_EQ(r.at("status"), diverged ? "failed" : "completed") << r.dump();
    EXPECT_EQ(r.at("files"), !diverged) << r.dump();
    if (diverged) diverged_key = r.at("run_key");
  }
  ASSERT_FALSE(diverged_key.empty());

  const fs::path fresh = dir_ / "fresh.db";
  const std::string ingest_cmd = "ingest '" + archive.string() + "' --db '" + fresh.string() + "'";
  const auto ingested = cli(ingest_cmd);
  ASSERT_EQ(ingested.exit_code, 0) << ingested.output;
  EXPECT_NE(ingested.output.find("Diverges / two_moons seed 0"), std::string::npos)
      << ingested.output;
  EXPECT_NE(ingested.output.find("failed -> run"), std::string::npos) << ingested.output;
  {
    ResultsStore store(fresh, ResultsStore::Mode::ReadOnly);
    const auto r = store.find_run_by_key(diverged_key);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, RunStatus::Failed);
    EXPECT_NE(r->error.find("non-finite"), std::string::npos) << r->error;
  }
  const auto table = cli("table '" + file + "' --profile smoke --db '" + fresh.string() + "'");
  EXPECT_NE(table.output.find("failed (dfkd runs show"), std::string::npos) << table.output;

  // The store's own later attempt (here killed after 3 epochs, resumable) is newer than the
  // archive's failure, and a completed run is kept whatever the archive says.
  set_run(fresh, diverged_key, "status = 'killed', epochs_done = 3, attempt = 2");
  const auto own = cli(ingest_cmd);
  ASSERT_EQ(own.exit_code, 0) << own.output;
  EXPECT_NE(own.output.find("kept (the store's own attempt"), std::string::npos) << own.output;
  set_run(fresh, diverged_key, "status = 'completed', error = ''");
  const auto done = cli(ingest_cmd);
  EXPECT_NE(done.output.find("kept (completed in the store already)"), std::string::npos)
      << done.output;
  {
    ResultsStore store(fresh, ResultsStore::Mode::ReadOnly);
    EXPECT_EQ(store.find_run_by_key(diverged_key)->status, RunStatus::Completed);
    EXPECT_EQ(store.find_run_by_key(diverged_key)->epochs_done, 3);
  }

  // A failure that is not a divergence is no outcome: left out, to be trained again.
  set_run(db_, diverged_key, "error = 'its worker process was killed by signal 9'");
  const auto crashed = cli(export_cmd);
  ASSERT_EQ(crashed.exit_code, 0) << crashed.output;
  EXPECT_NE(crashed.output.find("exported 1 completed runs of two_moons"), std::string::npos)
      << crashed.output;
  EXPECT_NE(crashed.output.find("1 not completed (planned, running, killed, or failed other"),
            std::string::npos)
      << crashed.output;
}

TEST_F(CliTest, ExportAndIngestOfArchivesNameWhatIsWrongAndExitTwo) {
  const auto run =
      cli("run '" + experiment() + "' --profile smoke --no-table --only DFAL " + db_arg());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // Nothing to export: the store has no such experiment, or nothing completed in the profile.
  const auto none = cli("export nonesuch --out '" + (dir_ / "a").string() + "' " + db_arg());
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_NE(none.output.find("has no experiment 'nonesuch'"), std::string::npos) << none.output;
  const auto empty =
      cli("export two_moons --profile quick --out '" + (dir_ / "a").string() + "' " + db_arg());
  EXPECT_EQ(empty.exit_code, 2) << empty.output;
  EXPECT_NE(empty.output.find("no completed run of experiment 'two_moons' (profile quick)"),
            std::string::npos)
      << empty.output;
  EXPECT_FALSE(fs::exists(dir_ / "a"));

  // A directory that is not an archive is never replaced.
  const fs::path other = dir_ / "notes";
  fs::create_directories(other);
  std::ofstream(other / "keep.txt") << "mine";
  const auto refused = cli("export two_moons --out '" + other.string() + "' " + db_arg());
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("is not a dfkd results archive"), std::string::npos)
      << refused.output;
  EXPECT_TRUE(fs::exists(other / "keep.txt"));

  // A damaged manifest is named, with what to do.
  const fs::path archive = dir_ / "archive";
  ASSERT_EQ(cli("export two_moons --out '" + archive.string() + "' " + db_arg()).exit_code, 0);
  std::ofstream(archive / "archive.json")
      << "{\"format\": \"dfkd-results-archive\", \"version\": 1";
  const auto bad =
      cli("ingest '" + archive.string() + "' --db '" + (dir_ / "fresh.db").string() + "'");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("archive.json: not valid JSON"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("export the archive again"), std::string::npos) << bad.output;
}

}  // namespace
