// Augmentation plugins end to end: a teacher trained with Mixup and a KD student with Mixup on
// two-moons (CutMix needs images: it is refused there at the first batch, naming why), the
// resolved configs in the store, and the planner's refusals naming the JSON path.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace {

using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;
using json = nlohmann::json;

json with_rows(json e, json rows) {
  e["rows"] = std::move(rows);
  e["profiles"]["smoke"].erase("rows");  // it patches rows this test replaces
  return e;
}

const json kTeacherRow = {{"name", "Teacher"}, {"teacher", true}};

TEST_F(CliTest, MixupTrainsTeacherAndStudentAndIsPartOfTheRunKey) {
  auto e = with_rows(experiment_json(),
                     {kTeacherRow,
                      {{"name", "KD"}, {"method", {{"plugin", "kd"}}}},
                      {{"name", "KD mixup"},
                       {"method", {{"plugin", "kd"}}},
                       {"augmentations", {{{"plugin", "mixup"}, {"options", {{"alpha", 0.4}}}}}}}});
  e["columns"][0]["teacher"]["augmentations"] = {{{"plugin", "mixup"}}};
  const auto r = cli("run '" + write_experiment(e) + "' --profile smoke --seeds 1 " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  const auto runs = store.runs("two_moons");
  ASSERT_EQ(runs.size(), 3u);
  std::map<std::string, json> config;
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, RunStatus::Completed) << run.row << ": " << run.error;
    config[run.row] = run.config;
  }
  const json mixup = {{"plugin", "mixup"},
                      {"version", "1.0.0"},
                      {"options", {{"alpha", 1.0}, {"probability", 1.0}}}};
  EXPECT_EQ(config["Teacher"].at("augmentations"), json::array({mixup}));
  EXPECT_EQ(config["KD mixup"].at("augmentations")[0].at("options").at("alpha"), 0.4);
  EXPECT_FALSE(config["KD"].contains("augmentations"))
      << "no key without augmentations: older run keys stay valid";
}

TEST_F(CliTest, AugmentationsAreCheckedAgainstTheMethod) {
  const json cutmix = {{{"plugin", "cutmix"}}};
  auto e = with_rows(experiment_json(), {kTeacherRow,
                                         {{"name", "DFAD"},
                                          {"method", {{"plugin", "dfad"}}},
                                          {"generator", {{"plugin", "mlp_generator"}}},
                                          {"augmentations", cutmix}}});
  auto r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("rows[1].augmentations[0]: method 'dfad' trains on no real data"),
            std::string::npos)
      << r.output;

  e = with_rows(experiment_json(),
                {kTeacherRow,
                 {{"name", "KD"},
                  {"method", {{"plugin", "kd"}}},
                  {"augmentations", {{{"plugin", "mixup"}}, {{"plugin", "cutmix"}}}}}});
  r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("augmentations[1]: 'cutmix' mixes labels and"), std::string::npos)
      << r.output;

  e = with_rows(experiment_json(), {kTeacherRow,
                                    {{"name", "KD"},
                                     {"method", {{"plugin", "kd"}}},
                                     {"augmentations", {{{"plugin", "cutmx"}}}}}});
  r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cutmx"), std::string::npos) << r.output;

  // CutMix on two-moons points: planned fine (the planner does not know the data's rank), then
  // the run fails at its first batch with a message saying what to use instead.
  e = with_rows(
      experiment_json(),
      {kTeacherRow, {{"name", "KD"}, {"method", {{"plugin", "kd"}}}, {"augmentations", cutmix}}});
  r = cli("run '" + write_experiment(e) + "' --profile smoke --seeds 1 --no-table " + db_arg());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  for (const auto& run : store.runs("two_moons"))
    if (run.row == "KD") {
      EXPECT_EQ(run.status, RunStatus::Failed);
      EXPECT_NE(run.error.find("cutmix: expected image batches"), std::string::npos) << run.error;
    }
}

}  // namespace
