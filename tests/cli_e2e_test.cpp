// End-to-end tests of the dfkd executable on the two-moons experiment's smoke profile: what a
// user types, what lands in the store, what the reports print.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "dfkd_git_info.h"
#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace fs = std::filesystem;
using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;

namespace {

using dfkd::test_support::CliResult;
using dfkd::test_support::CliTest;
using dfkd::test_support::count;

TEST_F(CliTest, PluginsJsonListsTheEightSlicePlugins) {
  const auto r = cli("plugins --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  std::map<std::string, std::string> kinds;
  for (const auto& p : j.at("plugins")) kinds[p.at("name")] = p.at("kind");
  const std::map<std::string, std::string> expected{{"two_moons", "dataset"},
                                                    {"mlp", "model"},
                                                    {"mlp_generator", "generator"},
                                                    {"supervised", "method"},
                                                    {"dfad", "method"},
                                                    {"activation_logit", "regularizer"},
                                                    {"activation_feature", "regularizer"},
                                                    {"virtual_interpolation", "regularizer"}};
  for (const auto& [name, kind] : expected) {
    ASSERT_TRUE(kinds.count(name)) << name << " missing from\n" << r.output;
    EXPECT_EQ(kinds[name], kind) << name;
  }
  EXPECT_TRUE(j.at("failures").empty()) << r.output;
}

TEST_F(CliTest, SmokeRunFillsStoreTableAndFigures) {
  const auto first = cli("run '" + experiment() + "' --profile smoke " + db_arg());
  ASSERT_EQ(first.exit_code, 0) << first.output;

  // Store: 1 teacher + 3 student rows x 2 seeds, all completed with summaries and artifacts.
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    const auto runs = store.runs("two_moons");
    ASSERT_EQ(runs.size(), 7u);
    for (const auto& run : runs) {
      EXPECT_EQ(run.status, RunStatus::Completed) << run.row << " " << run.error;
      EXPECT_EQ(run.profile, "smoke");
      bool has_accuracy = false;
      for (const auto& s : store.summaries(run.run_id))
        if (s.key == "test_accuracy") {
          has_accuracy = true;
          EXPECT_GE(s.final_value, 0.0);
          EXPECT_LE(s.final_value, 100.0);
        }
      EXPECT_TRUE(has_accuracy) << run.row;
      const auto models = store.artifacts(run.run_id, "model");
      ASSERT_EQ(models.size(), 1u) << run.row;
      EXPECT_TRUE(fs::exists(db_.parent_path() / models[0].path));
      const bool data_free = run.row == "DFAL" || run.row == "Proposed";
      EXPECT_EQ(store.artifacts(run.run_id, "generated").size(), data_free ? 1u : 0u) << run.row;
      if (run.role == "student" && data_free) EXPECT_FALSE(run.parent_run_id.empty());
    }
    EXPECT_EQ(store.cells("two_moons", "smoke").size(), 7u);
  }

  // Table JSON: the design's layout, cells consistent with the store.
  const auto table = cli("table two_moons --profile smoke --format json " + db_arg());
  ASSERT_EQ(table.exit_code, 0) << table.output;
  const auto t = nlohmann::json::parse(table.output);
  EXPECT_EQ(t.at("experiment"), "two_moons");
  EXPECT_EQ(t.at("profile"), "smoke");
  EXPECT_EQ(t.at("columns"), nlohmann::json({"two_moons"}));
  std::vector<std::string> rows;
  for (const auto& row : t.at("rows")) {
    rows.push_back(row.at("row"));
    const auto& cell = row.at("cells").at("two_moons");
    EXPECT_EQ(cell.at("n").get<int>(), row.at("row") == "Teacher" ? 1 : 2) << row.dump();
    double sum = 0;
    for (double v : cell.at("values")) sum += v;
    EXPECT_NEAR(cell.at("mean").get<double>(), sum / cell.at("n").get<double>(), 1e-9);
    EXPECT_TRUE(cell.at("paper").is_null());
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"Teacher", "Student", "DFAL", "Proposed"}));

  for (const char* format : {"md", "latex", "csv"}) {
    const auto r =
        cli(std::string("table two_moons --profile smoke --format ") + format + " " + db_arg());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Proposed"), std::string::npos) << format;
  }

  // A second run trains nothing.
  const auto second = cli("run '" + experiment() + "' --profile smoke --no-table " + db_arg());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(count(second.output, "  cached ("), 7) << second.output;
  EXPECT_EQ(count(second.output, "  epoch "), 0) << second.output;

  // Figures: paper Fig. 1 (c)-(f), PNG with the plotted data beside each.
  const auto plot = cli("plot '" + experiment() + "' --profile smoke --out figs " + db_arg());
  ASSERT_EQ(plot.exit_code, 0) << plot.output;
  EXPECT_EQ(count(plot.output, ".png"), 4) << plot.output;
  for (const char* stem : {"fig1_c_data", "fig1_e_generated_DFAL", "fig1_f_generated_Proposed"}) {
    const auto png = dir_ / "figs" / (std::string(stem) + ".png");
    ASSERT_TRUE(fs::exists(png)) << png;
    std::ifstream in(png, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
    EXPECT_TRUE(fs::exists(dir_ / "figs" / (std::string(stem) + ".csv")));
  }
  EXPECT_TRUE(fs::exists(dir_ / "figs" / "fig1_d_teacher_grid.csv"));

  // Query is read-only.
  const auto del = cli("query 'DELETE FROM run' " + db_arg());
  EXPECT_NE(del.exit_code, 0);
  const auto n = cli("query 'SELECT COUNT(*) AS n FROM run' --format csv " + db_arg());
  EXPECT_EQ(n.output, "n\n7\n");
}

TEST_F(CliTest, ConfigErrorsNameThePathAndExitTwo) {
  // The smoke profile patches rows by name; these broken files have other rows.
  auto broken = [&](nlohmann::json patch) {
    patch["profiles"]["smoke"]["rows"] = nullptr;  // a null in a merge patch deletes the key
    return patched_experiment(patch);
  };
  auto r = cli("run '" + broken({{"rows", {{{"name", "X"}, {"methd", {{"plugin", "dfad"}}}}}}}) +
               "' --profile smoke " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("rows[0].methd: unknown key (did you mean 'method'?); valid keys here: "
                          "name, method"),
            std::string::npos)
      << r.output;

  r = cli("run '" +
          broken({{"rows",
                   {{{"name", "X"},
                     {"method", {{"plugin", "dfad"}, {"options", {{"student_steps", "five"}}}}},
                     {"generator", {{"plugin", "mlp_generator"}}}}}}}) +
          "' --profile smoke " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(
                "rows[0].method.options.student_steps: wrong type: expected integer, found string"),
            std::string::npos)
      << r.output;

  r = cli("run '" + experiment() + "' --profile nosuch " + db_arg());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("no profile 'nosuch'; profiles in this experiment: default, smoke"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(db_)) << "a config error must not create a store";
}

// kill -9 in the middle of a run: the store stays consistent (nothing wrongly completed), the
// next `dfkd run` reclaims the dead process's run and resumes it from its epoch checkpoint, and a
// third run trains nothing.
TEST_F(CliTest, KillNineThenRerunResumes) {
  const auto file = patched_experiment(
      {{"profiles",
        {{"smoke",
          {{"rows", {{"DFAL", {{"train", {{"epochs", 60}, {"iterations_per_epoch", 10}}}}}}}}}}}});
  const pid_t child = start_in_background(
      "run '" + file + "' --profile smoke --only DFAL --seeds 1 --threads 1 --no-table " + db_arg(),
      "first.log");
  ASSERT_GE(child, 0);
  // Wait until the DFAL run has finished a few epochs.
  const bool mid_run = wait_until(
      [&] {
        return count_runs("DFAL", [](const auto& r) {
                 return r.status == RunStatus::Running && r.epochs_done >= 3;
               }) > 0;
      },
      1200);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(mid_run) << "the DFAL run never reached epoch 3 while running";

  int64_t epochs_before = 0;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    for (const auto& run : store.runs("two_moons")) {
      if (run.status == RunStatus::Completed) EXPECT_FALSE(store.summaries(run.run_id).empty());
      if (run.row == "DFAL") {
        EXPECT_EQ(run.status, RunStatus::Running) << "a killed process leaves its run running";
        EXPECT_LT(run.epochs_done, 60);
        epochs_before = run.epochs_done;
      }
    }
  }
  const auto second =
      cli("run '" + file + "' --profile smoke --only DFAL --seeds 1 --threads 1 --no-table " +
          db_arg());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(count(second.output, "  cached ("), 1) << "the teacher was completed before the kill\n"
                                                   << second.output;
  // Resumed, not restarted: the first epoch it reports is after the checkpoint.
  EXPECT_EQ(second.output.find("epoch 1/60"), std::string::npos) << second.output;
  EXPECT_GE(epochs_before, 3);
  expect_resumed_to_completion("DFAL", 60);
  const auto third =
      cli("run '" + file + "' --profile smoke --only DFAL --seeds 1 --no-table " + db_arg());
  EXPECT_EQ(third.exit_code, 0);
  EXPECT_EQ(count(third.output, "  cached ("), 2) << third.output;
  EXPECT_EQ(count(third.output, "  epoch "), 0) << third.output;
}

// `--jobs 2`: runs train in worker processes. kill -9 of `dfkd run` reaches its workers (they
// get SIGTERM when their parent dies), which checkpoint and record the run as killed; the next
// `dfkd run` resumes it at once instead of waiting for a stale heartbeat.
TEST_F(CliTest, KillNineWithWorkersLeavesNoOrphanAndResumes) {
  const auto file = patched_experiment(
      {{"profiles",
        {{"smoke",
          {{"rows", {{"DFAL", {{"train", {{"epochs", 60}, {"iterations_per_epoch", 10}}}}}}}}}}}});
  const auto args = "run '" + file +
                    "' --profile smoke --only DFAL --seeds 2 --jobs 2 --threads 2 --no-table " +
                    db_arg();
  const pid_t child = start_in_background(args, "first.log");
  ASSERT_GE(child, 0);
  const bool both_mid_run = wait_until(
      [&] {
        return count_runs("DFAL", [](const auto& r) {
                 return r.status == RunStatus::Running && r.epochs_done >= 2;
               }) == 2;
      },
      2400);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(both_mid_run) << "the two DFAL seeds never trained side by side";
  // The orphaned workers record the interrupt themselves.
  const bool recorded = wait_until(
      [&] {
        return count_runs("DFAL", [](const auto& r) { return r.status == RunStatus::Killed; }) == 2;
      },
      600);
  ASSERT_TRUE(recorded) << "workers kept training after their parent was killed";

  const auto second = cli(args);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(second.output.find("held by another dfkd process"), std::string::npos) << second.output;
  EXPECT_EQ(second.output.find("epoch 1/60"), std::string::npos) << "resumed, not restarted\n"
                                                                 << second.output;
  expect_resumed_to_completion("DFAL", 60);
}

// Two `dfkd run` processes on one store at once: every run is trained exactly once (claims are
// transactional), each process reports what the other one did, and the table is complete.
TEST_F(CliTest, TwoConcurrentRunsNeverTrainARunTwice) {
  const auto args = "run '" + experiment() +
                    "' --profile smoke --seeds 3 --jobs 1 --threads 1 --no-table " + db_arg();
  const pid_t child = start_in_background(args, "other.log");
  ASSERT_GE(child, 0);
  const auto mine = cli(args);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(mine.exit_code, 0) << mine.output;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(dir_ / "other.log");
  const std::string other((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  const auto runs = store.runs("two_moons");
  ASSERT_EQ(runs.size(), 10u);  // teacher + 3 rows x 3 seeds
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, RunStatus::Completed) << run.row << " seed " << run.seed;
    EXPECT_EQ(run.attempt, 1) << run.row << " seed " << run.seed << " was trained more than once";
  }
  EXPECT_EQ(count(mine.output, "  completed in ") + count(other, "  completed in "), 10)
      << mine.output << "\n---\n"
      << other;
}

// A profile's "jobs" is `dfkd run`'s default: two_moons' smoke profile says 1 (its runs take less
// than a worker process's start-up), so they train in this process with every thread it is given;
// --jobs overrides it. Each run's environment records the threads it trained with.
TEST_F(CliTest, AProfilesJobsIsTheDefaultThatJobsOverrides) {
  const auto args = "run '" + experiment() + "' --profile smoke --seeds 1 --threads 2 --no-table ";
  const auto in_process = cli(args + db_arg());
  ASSERT_EQ(in_process.exit_code, 0) << in_process.output;
  EXPECT_NE(in_process.output.find("dfkd: in this process, 2 threads"), std::string::npos)
      << in_process.output;
  const auto workers_db = dir_ / "workers.db";
  const auto workers = cli(args + "--jobs 2 --db '" + workers_db.string() + "'");
  ASSERT_EQ(workers.exit_code, 0) << workers.output;
  EXPECT_NE(workers.output.find("dfkd: 2 worker processes x 1 thread"), std::string::npos)
      << workers.output;
  const auto threads_of = [](const fs::path& db) {
    ResultsStore store(db, ResultsStore::Mode::ReadOnly);
    std::set<int64_t> threads;
    for (const auto& run : store.runs("two_moons"))
      threads.insert(store.environment(run.environment_id).value().threads);
    return threads;
  };
  EXPECT_EQ(threads_of(db_), std::set<int64_t>{2});
  EXPECT_EQ(threads_of(workers_db), std::set<int64_t>{1});
}

}  // namespace

namespace {

// Image teachers on the real MNIST subset and Fashion-MNIST (smoke: 20 images per class, one
// epoch): trained once, then reused from the artifact cache by any later run.
TEST_F(CliTest, TeachersSmokeTrainsOnceThenReuses) {
  const std::string file = std::string(DFKD_SOURCE_DIR) + "/experiments/teachers.json";
  const auto first = cli("run '" + file + "' --profile smoke --no-table " + db_arg());
  if (first.output.find("data files") != std::string::npos ||
      first.output.find("not found") != std::string::npos)
    GTEST_SKIP() << "image data not installed (scripts/setup.sh installs it):\n" << first.output;
  ASSERT_EQ(first.exit_code, 0) << first.output;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    const auto runs = store.runs("teachers");
    ASSERT_EQ(runs.size(), 2u) << "CIFAR columns are not in the smoke profile";
    for (const auto& run : runs) {
      EXPECT_EQ(run.status, RunStatus::Completed) << run.column << ": " << run.error;
      EXPECT_EQ(store.artifacts(run.run_id, "model").size(), 1u);
      EXPECT_EQ(run.config.at("dataset").at("options").at("train_per_class"), 20);
      EXPECT_TRUE(run.config.at("dataset").at("source").contains("dir"));
      // Smoke reads the 8k MNIST subset (the other profiles the full set).
      if (run.column == "MNIST")
        EXPECT_EQ(run.config.at("dataset").at("options").at("variant"), "subset");
    }
  }
  const auto second = cli("run '" + file + "' --profile smoke --no-table " + db_arg());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(count(second.output, "  cached ("), 2) << second.output;
  EXPECT_EQ(count(second.output, "  epoch "), 0) << second.output;

  const auto models = cli("models '" + file + "' --profile paper --json");
  ASSERT_EQ(models.exit_code, 0) << models.output;
  const auto j = nlohmann::json::parse(models.output);
  std::map<std::string, int64_t> macs;
  for (const auto& r : j)
    macs[r.at("column").get<std::string>() + "/" + r.at("role").get<std::string>()] = r.at("macs");
  EXPECT_EQ(macs.at("MNIST/teacher"), 416520);  // LeNet-5 (tests/networks_test.cpp derives it)
  EXPECT_EQ(macs.at("MNIST/student"), 133740);  // LeNet-5-half
  EXPECT_EQ(macs.at("CIFAR-10/teacher"), 1159402496);  // ResNet-34, without the CIFAR data on disk
  EXPECT_EQ(macs.at("CIFAR-10/student"), 555422720);   // ResNet-18
}

}  // namespace

namespace {

// A diverging run fails with the metric, epoch and step named; the rest of the matrix still runs
// and the failure is recorded (exit code 1), not lost.
TEST_F(CliTest, NonFiniteLossFailsTheRunNamingWhere) {
  const auto file = patched_experiment(
      {{"rows",
        {{{"name", "Teacher"}, {"teacher", true}},
         {{"name", "Diverges"},
          {"method",
           {{"plugin", "dfad"}, {"options", {{"student_lr", 1e30}, {"generator_lr", 1e30}}}}},
          {"generator", {{"plugin", "mlp_generator"}}}}}},
       {"profiles", {{"smoke", {{"rows", nullptr}}}}}});
  const auto r = cli("run '" + file + "' --profile smoke --seeds 1 " + db_arg());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  bool found = false;
  for (const auto& run : store.runs("two_moons")) {
    if (run.row != "Diverges") continue;
    found = true;
    EXPECT_EQ(run.status, RunStatus::Failed);
    EXPECT_NE(run.error.find("non-finite"), std::string::npos) << run.error;
    EXPECT_NE(run.error.find("at epoch 1, iteration"), std::string::npos) << run.error;
    EXPECT_EQ(run.error.find("-nan"), std::string::npos) << run.error;  // NaN, +inf or -inf
    // The table `dfkd run` prints points at the failed run in the store the run went to.
    EXPECT_NE(r.output.find("failed (dfkd runs show " + run.run_id.substr(0, 12) + " --db " +
                            db_.string() + ")"),
              std::string::npos)
        << r.output;
  }
  EXPECT_TRUE(found) << r.output;
  for (const auto& run : store.runs("two_moons"))
    if (run.row == "Teacher") EXPECT_EQ(run.status, RunStatus::Completed);
}

}  // namespace

namespace {

// Table 1 in its smoke profile: every row (Teacher, four data-driven baselines, three data-free
// methods) on both MNIST-like columns, with the collapse metrics and FT's pre-training stage in
// the store, and every cell in the table.
TEST_F(CliTest, Table1SmokeRunsAllEightRows) {
  const std::string file = std::string(DFKD_SOURCE_DIR) + "/experiments/table1.json";
  const auto run = cli("run '" + file + "' --profile smoke --no-table " + db_arg());
  if (run.output.find("data files") != std::string::npos)
    GTEST_SKIP() << "image data not installed (scripts/setup.sh installs it):\n" << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    const auto runs = store.runs("table1");
    ASSERT_EQ(runs.size(), 2u + 7u * 2u) << "two teachers and seven student rows on two columns";
    for (const auto& r : runs) {
      SCOPED_TRACE(r.row + " / " + r.column);
      EXPECT_EQ(r.status, RunStatus::Completed) << r.error;
      const auto keys = store.metric_keys(r.run_id);
      const auto has = [&](const std::string& k) {
        return std::find(keys.begin(), keys.end(), k) != keys.end();
      };
      EXPECT_TRUE(has("test_accuracy"));
      if (r.row == "DFL" || r.row == "DFAL" || r.row == "Proposed") {
        for (const char* k : {"loss_generator", "loss_student", "teacher_pred_entropy",
                              "teacher_top_class_fraction"})
          EXPECT_TRUE(has(k)) << k;
        EXPECT_EQ(store.artifacts(r.run_id, "generated").size(), 1u);
      }
      if (r.row == "Proposed")
        for (const char* k :
             {"reg_activation_logit", "reg_activation_feature", "reg_virtual_interpolation"})
          EXPECT_TRUE(has(k)) << k;
      if (r.row == "FT") EXPECT_TRUE(has("paraphraser/loss_reconstruction"));
    }
  }
  const auto table = cli("table '" + file + "' --profile smoke --format json " + db_arg());
  ASSERT_EQ(table.exit_code, 0) << table.output;
  const auto j = nlohmann::json::parse(table.output);
  ASSERT_EQ(j.at("rows").size(), 8u);
  const std::vector<std::string> expected_rows{"Teacher", "KD",  "FITNET", "AT",
                                               "FT",      "DFL", "DFAL",   "Proposed"};
  for (size_t i = 0; i < expected_rows.size(); ++i) {
    const auto& row = j.at("rows")[i];
    EXPECT_EQ(row.at("row"), expected_rows[i]);
    for (const char* column : {"MNIST", "Fashion-MNIST"}) {
      const auto& cell = row.at("cells").at(column);
      EXPECT_EQ(cell.at("n"), 1) << expected_rows[i] << " " << column;
      EXPECT_GE(cell.at("mean").get<double>(), 0.0);
    }
  }
  // The paper's number rides along where the paper has one (its FitNet MNIST cell is '-').
  EXPECT_DOUBLE_EQ(j.at("rows")[7].at("cells").at("MNIST").at("paper").get<double>(), 98.41);
}

// Paper Fig. 2 from the store: (a) labelled_data.json reuses Table 1's teacher and its full-data
// MNIST runs (shared run_keys) and draws Table 1's data-free rows as flat references; (b) from
// table1.json's runs; (c)/(d) from ablation.json, whose DFAD and +AR+VI rows are Table 1's
// DFAL and Proposed. Every PNG has its CSV and gnuplot script beside it.
TEST_F(CliTest, Figure2SmokeFromTheStore) {
  const std::string dir = std::string(DFKD_SOURCE_DIR) + "/experiments/";
  const auto table1 = cli("run '" + dir + "table1.json' --profile smoke --no-table " + db_arg());
  if (table1.output.find("data files") != std::string::npos)
    GTEST_SKIP() << "image data not installed (scripts/setup.sh installs it):\n" << table1.output;
  ASSERT_EQ(table1.exit_code, 0) << table1.output;

  const auto labelled =
      cli("run '" + dir + "labelled_data.json' --profile smoke --no-table " + db_arg());
  ASSERT_EQ(labelled.exit_code, 0) << labelled.output;
  EXPECT_EQ(count(labelled.output, "  cached ("), 1 + 4)
      << "Table 1's teacher and its 4 full-data runs\n"
      << labelled.output;
  EXPECT_EQ(count(labelled.output, "  completed in "), 12) << "4 rows x 3 labelled subsets\n"
                                                           << labelled.output;

  const auto ablation =
      cli("run '" + dir + "ablation.json' --profile smoke --no-table " + db_arg());
  ASSERT_EQ(ablation.exit_code, 0) << ablation.output;
  EXPECT_EQ(count(ablation.output, "  completed in "), 4) << "+AR and +VI on two columns\n"
                                                          << ablation.output;

  const auto out = dir_ / "figures";
  for (const char* name : {"table1", "labelled_data", "ablation"}) {
    const auto r = cli(std::string("plot '") + dir + name + ".json' --profile smoke --out '" +
                       out.string() + "' " + db_arg());
    ASSERT_EQ(r.exit_code, 0) << name << "\n" << r.output;
  }
  auto read = [&](const std::string& file) {
    std::ifstream in(out / file);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  for (const char* fig : {"fig2a", "fig2b", "fig2b_fashion", "fig2c", "fig2d"}) {
    SCOPED_TRACE(fig);
    EXPECT_GT(fs::file_size(out / (std::string(fig) + ".png")), 1000u);
    EXPECT_TRUE(fs::exists(out / (std::string(fig) + ".gp")));
  }
  const auto a = read("fig2a.csv");
  EXPECT_EQ(a.rfind("row,labelled,column,mean,std,n\n", 0), 0u) << a;
  EXPECT_EQ(count(a, "\nKD,"), 4) << a;
  // x is the labelled images the profile trains on (x_by_profile): smoke's 2 per class of the
  // subset, and 20 per class in its full-data column, not the paper profile's 50 and 60,000.
  EXPECT_NE(a.find("\nKD,20,MNIST 5/class,"), std::string::npos) << a;
  EXPECT_NE(a.find("\nKD,200,MNIST,"), std::string::npos) << a;
  EXPECT_EQ(count(a, "\nProposed (no labelled data),"), 2) << "a flat reference from table1\n" << a;
  // Epoch axes label whole epochs; legends sit under the plot, never over a curve.
  const auto b_script = read("fig2b.gp");
  for (const char* line : {"set key below", "set format x '%.0f'", "set xtics 0,1\n"})
    EXPECT_NE(b_script.find(line), std::string::npos) << line << "\n" << b_script;
  EXPECT_EQ(b_script.find("set key bottom right"), std::string::npos) << b_script;
  const auto b = read("fig2b.csv");
  for (const char* row : {"\nDFL,1,", "\nDFAL,1,", "\nProposed,1,"})
    EXPECT_NE(b.find(row), std::string::npos) << b;
  const auto c = read("fig2c.csv");
  for (const char* row : {"\nDFAD,1,", "\n+AR,1,", "\n+VI,1,", "\n+AR+VI,1,"})
    EXPECT_NE(c.find(row), std::string::npos) << c;
}

}  // namespace

// The cluster path without Slurm: `slurm submit --dry-run` plans by dependency level and writes
// nothing; a teacher completed locally turns its students into level-0 tasks. (The real-Slurm
// path is tests/slurm/slurm_e2e_test.sh.)
TEST_F(CliTest, SlurmSubmitDryRunPlansByLevelAndWritesNothing) {
  auto r = cli("slurm submit '" + experiment() + "' --profile smoke --max-parallel 2 --dry-run " +
               db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("7 tasks in 2 arrays, 0 cached"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sbatch --array=0-2%2 task.sbatch"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sbatch --array=3-6%2 --dependency=afterany:<array job 0> task.sbatch"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(count(r.output, "level 1"), 4) << "DFAL and Proposed x 2 seeds wait for the teacher\n"
                                           << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "sweeps"));

  ASSERT_EQ(cli("run '" + experiment() + "' --profile smoke --only Teacher --jobs 1 --no-table " +
                db_arg())
                .exit_code,
            0);
  r = cli("slurm submit '" + experiment() + "' --profile smoke --dry-run " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("6 tasks in 1 array, 1 cached"), std::string::npos) << r.output;
  EXPECT_EQ(count(r.output, "level 1"), 0) << r.output;
}

TEST_F(CliTest, SweepCommandsNameWhatIsWrongAndExitTwo) {
  auto r = cli("ingest '" + dir_.string() + "' " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is neither a sweep directory (manifest.json) nor a shard (run.db)"),
            std::string::npos)
      << r.output;
  r = cli("worker --sweep '" + dir_.string() + "' --index 0");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is not a sweep directory (no manifest.json)"), std::string::npos)
      << r.output;
  r = cli("slurm status '" + dir_.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = cli("worker");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("give --run ID"), std::string::npos) << r.output;
  // Outside a Slurm array the task index must be given.
  std::ofstream(dir_ / "manifest.json") << "{\"sweep_id\": 3}";
  std::ofstream(dir_ / "tasks.jsonl") << "";
  r = cli("worker --sweep '" + dir_.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("manifest.json' is not a valid dfkd sweep file"), std::string::npos)
      << r.output;
}

// ---- issue 13: numbers validated at parse time, errors naming the right place ----

TEST_F(CliTest, BadNumbersAreConfigErrorsWithTheirPath) {
  // Values that used to become failed runs (LibTorch's "Invalid learning rate", a 32 GB batch).
  auto r = cli(
      "run '" +
      patched_experiment(
          {{"profiles",
            {{"smoke",
              {{"rows", {{"DFAL", {{"method", {{"options", {{"student_lr", -0.05}}}}}}}}}}}}}}) +
      "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("experiment.json.profiles.smoke.rows.DFAL.method.options.student_lr: "
                          "expected a number > 0, "
                          "found -0.05"),
            std::string::npos)
      << r.output;
  r = cli("run '" + patched_experiment({{"train", {{"batch_size", 1000000000}}}}) +
          "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(
      r.output.find(
          "experiment.json.train.batch_size: expected an integer in [1, 65536], found 1000000000"),
      std::string::npos)
      << r.output;
  // A value set in the profile is reported at the profile's path, not the merged one.
  r = cli("run '" + patched_experiment({{"profiles", {{"smoke", {{"train", {{"epochs", 0}}}}}}}}) +
          "' --profile smoke " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("experiment.json.profiles.smoke.train.epochs: expected an integer in [1, "
                          "100000], found 0"),
            std::string::npos)
      << r.output;
  // 1e309 does not fit a double: file and line, exit 2.
  std::ofstream(dir_ / "overflow.json") << "{\n  \"experiment\": \"x\",\n  \"seeds\": 1e309\n}\n";
  r = cli("run overflow.json " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("overflow.json: not valid JSON"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("at line 3"), std::string::npos) << r.output;
  // An experiment path that is a directory.
  fs::create_directories(dir_ / "exp.json");
  r = cli("run exp.json " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("exp.json: is a directory, not an experiment file"), std::string::npos)
      << r.output;
  // More jobs than threads in all: it used to train one run at a time without a word.
  r = cli("run '" + experiment() + "' --profile smoke --jobs 2 --threads 1 " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--jobs 2 --threads 1: --threads is the total over all jobs"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(db_)) << "a config error must not create a store";
}

TEST_F(CliTest, ATypoInAProfileNotRunIsStillAnError) {
  const auto file = patched_experiment({{"profiles", {{"default", {{"train", {{"epohcs", 3}}}}}}}});
  auto r = cli("run '" + file + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("experiment.json.profiles.default.train.epohcs: unknown key"),
            std::string::npos)
      << r.output;
  // Plugin options of another profile too.
  const auto opts = patched_experiment(
      {{"profiles",
        {{"default",
          {{"rows", {{"DFAL", {{"method", {{"options", {{"lr_studnet", 0.1}}}}}}}}}}}}}});
  r = cli("run '" + opts + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(
      r.output.find(
          "experiment.json.profiles.default.rows.DFAL.method.options.lr_studnet: unknown option"),
      std::string::npos)
      << r.output;
}

TEST_F(CliTest, PluginsJsonReportsAFileThatFailsToLoadAsALoadFailure) {
  fs::create_directories(dir_ / "plugins");
  // A complete library the dynamic linker rejects: a real plugin whose dependency on the SDK
  // library is renamed to one that does not exist (same length, so the ELF stays valid).
  std::ifstream in(std::string(DFKD_PLUGIN_DIR) + "/method/kd.so", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = bytes.find("libdfkd_sdk.so");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 14, "libdfkd_xyz.so");
  std::ofstream(dir_ / "plugins" / "broken.so", std::ios::binary) << bytes;
  setenv("DFKD_PLUGIN_PATH", (dir_ / "plugins").c_str(), 1);
  const auto r = cli("plugins --json");
  unsetenv("DFKD_PLUGIN_PATH");
  ASSERT_EQ(r.exit_code, 1) << r.output;  // the list is printed, and the refusal is an error
  const auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j.at("failures").size(), 1u) << r.output;
  EXPECT_EQ(j.at("failures")[0].at("status"), "load_failed") << r.output;
  EXPECT_NE(j.at("failures")[0].at("message").get<std::string>().find("libdfkd_xyz.so"),
            std::string::npos);
  // The options carry their ranges.
  for (const auto& p : j.at("plugins"))
    if (p.at("name") == "dfad")
      for (const auto& o : p.at("options"))
        if (o.at("name") == "student_lr") {
          EXPECT_EQ(o.at("min"), 0.0);
          EXPECT_TRUE(o.at("min_exclusive").get<bool>());
          EXPECT_EQ(o.at("range"), "> 0");
        }
}

TEST_F(CliTest, StoreErrorsSayWhatIsWrongAndReadsWorkInAReadOnlyDirectory) {
  fs::create_directories(dir_ / "store_dir");
  auto r = cli("runs --db '" + (dir_ / "store_dir").string() + "'");
  EXPECT_NE(r.output.find("is a directory, not a store file"), std::string::npos) << r.output;
  r = cli("run '" + experiment() + "' --profile smoke --dry-run --db '" +
          (dir_ / "store_dir").string() + "'");
  EXPECT_NE(r.output.find("is a directory, not a store file"), std::string::npos) << r.output;

  // A store in a directory the user cannot write (root ignores permissions: run as nobody).
  const auto ro = dir_ / "ro";
  fs::create_directories(ro);
  { ResultsStore create(ro / "results.db"); }  // closed: no -wal / -shm left beside it
  ASSERT_FALSE(fs::exists(ro / "results.db-shm"));
  fs::permissions(ro, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(dir_, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  if (geteuid() != 0 || std::system((as_nobody + "true").c_str()) != 0)
    GTEST_SKIP() << "cannot run dfkd as another user here (needs root and setpriv)";
  // The build (its binary and libdfkd_sdk) may sit where nobody cannot reach, e.g. under a 0700
  // mktemp directory: then this part cannot be tested here.
  if (std::system((as_nobody + "'" + DFKD_BINARY + "' --version > /dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "user nobody cannot run " << DFKD_BINARY
                 << " (a parent directory is not readable by others)";
  auto nobody = [&](const std::string& args) {
    const auto cmd =
        "cd '" + dir_.string() + "' && " + as_nobody + "'" + DFKD_BINARY + "' " + args + " 2>&1";
    CliResult res;
    FILE* pipe = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (fgets(buf.data(), buf.size(), pipe)) res.output += buf.data();
    const int status = pclose(pipe);
    res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return res;
  };
  const std::string db = "--db '" + (ro / "results.db").string() + "'";
  r = nobody("runs " + db);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = nobody("query 'SELECT count(*) AS n FROM run' --format csv " + db);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("n\n0"), std::string::npos) << r.output;
  r = nobody("status " + db);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = nobody("run '" + experiment() + "' --profile smoke " + db);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("is not writable"), std::string::npos) << r.output;
}

TEST_F(CliTest, RunsShowTakesDbAfterTheIdAndTableHintsKeepTheDb) {
  auto r = cli("run '" + experiment() + "' --profile smoke --only Teacher --no-table " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string id;
  {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    id = store.runs("two_moons").at(0).run_id;
  }
  r = cli("runs show " + id + " " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("run " + id), std::string::npos) << r.output;
  // The machine it trained on: this CPU (model name, or "unknown" without one) and its CPU count.
  cpu_set_t mask;  // the CPUs this process may use, as nproc counts them
  ASSERT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  const auto cpus = std::to_string(CPU_COUNT(&mask));
  EXPECT_NE(r.output.find("  machine    "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(", " + cpus + " CPUs (host "), std::string::npos) << r.output;
  // The commit of the build that trained it, as the build recorded it (not the tree's HEAD now).
  EXPECT_NE(r.output.find(std::string(", dfkd ") + std::string(DFKD_GIT_COMMIT).substr(0, 12)),
            std::string::npos)
      << r.output;
  // The table's "fill them with" commands write to the store the table was read from.
  r = cli("table '" + experiment() + "' --profile smoke " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fill them with"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--profile smoke --db " + db_.string()), std::string::npos) << r.output;
  // The file's default profile has no runs here: the table says which profile has.
  r = cli("table '" + experiment() + "' " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("has no runs of two_moons under profile 'default'; it has runs under: "
                          "smoke (1 cell) (pass --profile NAME)"),
            std::string::npos)
      << r.output;
}

// A plugin rebuilt without a new version keeps its run keys, so its cached runs are reused: `dfkd
// run` says so, per plugin, naming both builds, and says what to do if the change matters.
TEST_F(CliTest, ACachedRunTrainedByAnotherBuildOfItsPluginIsNamed) {
  const auto run =
      "run '" + experiment() + "' --profile smoke --only Teacher --no-table " + db_arg();
  auto r = cli(run);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = cli(run);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("another build"), std::string::npos) << r.output;  // the same build
  // As if the method plugin had been rebuilt since the run: same name and version, other bytes.
  const auto edit = shell("sqlite3 '" + db_.string() +
                          "' \"UPDATE plugin SET file_sha256 = 'feedfacecafe' || "
                          "substr(file_sha256, 13) WHERE kind = 'method'\" 2>&1");
  ASSERT_EQ(edit.exit_code, 0) << edit.output;
  r = cli(run);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("  cached ("), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dfkd: warning: method plugin 'supervised' "), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(": 1 cached run(s) were trained by another build of it (library sha256 "
                          "feedfacecafe; loaded now: "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("give it a new version in info() (new run keys) or rerun them with "
                          "--force"),
            std::string::npos)
      << r.output;
}

// Ctrl-C right after `dfkd run --jobs 2` claimed its first runs, while the workers are still
// starting (loading plugins): the runs are recorded killed, not failed, and a rerun resumes.
TEST_F(CliTest, EarlyCtrlCWithWorkersRecordsKilledNotFailed) {
  // Slow runs: none can complete before the Ctrl-C, whatever the machine's speed.
  const pid_t child = start_in_background(
      "run '" + slow_experiment(60.0) +
          "' --profile smoke --only Slow --seeds 2 --jobs 2 --no-table " + db_arg(),
      "first.log", slow_plugin_env());
  ASSERT_GE(child, 0);
  const bool claimed = wait_until(
      [&] {
        return count_runs("Slow",
                          [](const auto& run) { return run.status == RunStatus::Running; }) > 0;
      },
      1200);
  kill(child, SIGINT);
  // Iterations sleep 60 s: a worker that missed the interrupt would keep dfkd alive for minutes.
  int status = 0;
  const bool stopped = wait_until([&] { return waitpid(child, &status, WNOHANG) == child; }, 600);
  if (!stopped) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  ASSERT_TRUE(claimed) << "the slow run was never claimed";
  ASSERT_TRUE(stopped) << "dfkd run went on after Ctrl-C: a worker missed the interrupt";
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  int killed = 0;
  for (const auto& run : store.runs("two_moons")) {
    EXPECT_NE(run.status, RunStatus::Failed) << run.row << ": " << run.error;
    killed += run.status == RunStatus::Killed;
  }
  EXPECT_GE(killed, 1);
}
