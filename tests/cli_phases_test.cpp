// Training phases across runs (issue 18, pruning phases): a row starts from another row's trained
// weights (`init_from`) or learns from another row's run as its teacher (`teacher_from`), per
// column and seed; the rows it reads are planned first, even when --only leaves them out.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace {

using dfkd::host::ResultsStore;
using dfkd::host::RunRecord;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;
using dfkd::test_support::count;
using json = nlohmann::json;

/// Supervised with a learning rate so small that a run keeps the weights it starts from.
const json kFrozenSupervised = {
    {"plugin", "supervised"},
    {"options", {{"student_lr", 1e-12}, {"student_momentum", 0.0}, {"student_weight_decay", 0.0}}}};

json phases_experiment(json e) {
  e["rows"] = {{{"name", "Teacher"}, {"teacher", true}},
               e["rows"][1],  // Student: supervised, the network every phase starts from
               {{"name", "Finetuned"},
                {"init_from", "Student"},
                {"method", kFrozenSupervised},
                {"train", {{"epochs", 1}}}},
               {{"name", "Self"},
                {"init_from", "Finetuned"},
                {"teacher_from", "Student"},
                {"method", {{"plugin", "kd"}}},
                {"train", {{"epochs", 1}}}}};
  e["profiles"]["smoke"].erase("rows");
  return e;
}

std::map<std::string, RunRecord> runs_by_row_seed(const ResultsStore& store) {
  std::map<std::string, RunRecord> out;
  for (const auto& r : store.runs("two_moons")) out[r.row + "/" + std::to_string(r.seed)] = r;
  return out;
}

TEST_F(CliTest, InitFromAndTeacherFromChainRowsWithinEachSeed) {
  const auto file = write_experiment(phases_experiment(experiment_json()));
  // Only the last phase is asked for: the rows it reads come with it, the column's teacher not.
  const auto dry = cli("run '" + file + "' --profile smoke --only Self --dry-run " + db_arg());
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("6 to run"), std::string::npos) << dry.output;
  EXPECT_LT(dry.output.find("Student / two_moons / seed 0"),
            dry.output.find("Finetuned / two_moons / seed 0"))
      << dry.output;
  EXPECT_LT(dry.output.find("Finetuned / two_moons / seed 0"),
            dry.output.find("Self / two_moons / seed 0"))
      << dry.output;

  const auto r = cli("run '" + file + "' --profile smoke --only Self " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  const auto runs = runs_by_row_seed(store);
  ASSERT_EQ(runs.size(), 6u);
  for (int seed = 0; seed < 2; ++seed) {
    const auto s = std::to_string(seed);
    const auto &student = runs.at("Student/" + s), &finetuned = runs.at("Finetuned/" + s),
               &self = runs.at("Self/" + s);
    for (const auto* run : {&student, &finetuned, &self})
      ASSERT_EQ(run->status, RunStatus::Completed) << run->row << ": " << run->error;
    EXPECT_EQ(finetuned.config.at("init_from"), student.run_key);
    EXPECT_TRUE(finetuned.config.at("teacher").is_null());
    EXPECT_EQ(self.config.at("init_from"), finetuned.run_key);
    EXPECT_EQ(self.config.at("teacher"), student.run_key);
    EXPECT_EQ(self.parent_run_id, student.run_id);
    EXPECT_FALSE(student.config.contains("init_from")) << "run keys of plain rows are unchanged";

    // Pinned by content: the init weights are the Student's model file.
    const auto init = store.run_input(finetuned.run_id, "init");
    ASSERT_TRUE(init.has_value());
    EXPECT_EQ(init->sha256, store.artifacts(student.run_id, "model").back().sha256);
    EXPECT_EQ(store.run_input(self.run_id, "teacher")->sha256, init->sha256);

    // Started from the Student's weights and (lr 1e-12) kept them: the same predictions.
    const auto acc = store.metric_series(finetuned.run_id, "test_accuracy");
    ASSERT_EQ(acc.size(), 1u);
    EXPECT_DOUBLE_EQ(acc[0].value,
                     store.metric_series(student.run_id, "test_accuracy").back().value);
  }

  // --force-teacher is not needed to keep phases consistent: forcing a phase retrains the
  // phases that read it.
  const auto forced =
      cli("run '" + file + "' --profile smoke --only Finetuned --force --dry-run " + db_arg());
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(forced.output.find("outside this plan learned from run"), std::string::npos)
      << forced.output;
}

TEST_F(CliTest, RowReferencesNameWhatIsWrong) {
  const auto expect_error = [&](json e, const std::string& what) {
    const auto r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(what), std::string::npos) << r.output;
  };
  auto e = phases_experiment(experiment_json());
  e["rows"][2]["init_from"] = "Nope";
  expect_error(e, "rows[2].init_from: no row named 'Nope'; rows: Teacher, Student, Finetuned");

  e = phases_experiment(experiment_json());
  e["rows"][1]["init_from"] = "Self";
  expect_error(e, "read in a cycle (Student -> Self -> Finetuned -> Student)");

  e = phases_experiment(experiment_json());
  e["rows"][2]["teacher_from"] = "Student";
  expect_error(e, "rows[2].teacher_from: method 'supervised' learns from no teacher");

  e = phases_experiment(experiment_json());
  e["rows"][2]["student"] = {{"plugin", "mlp"}, {"options", {{"hidden", {8}}}}};
  expect_error(e, "rows[2].init_from: row 'Student' trains");

  e = phases_experiment(experiment_json());
  e["rows"][2]["init_from"] = "Teacher";
  expect_error(e, "'Teacher' is the column's teacher row");

  e = phases_experiment(experiment_json());
  e["rows"][2]["init_from"] = 3;
  expect_error(e, "rows[2].init_from: expected a string");
}

}  // namespace
