// Augmentation plugins end to end: a teacher trained with Mixup and a KD student with Mixup on
// two-moons (CutMix needs images: the planner refuses it there, naming why), the
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

  // CutMix on two-moons points: the planner builds it on the column's data shape and refuses.
  e = with_rows(
      experiment_json(),
      {kTeacherRow, {{"name", "KD"}, {"method", {{"plugin", "kd"}}}, {"augmentations", cutmix}}});
  r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("rows[1].augmentations[0]: cutmix pastes boxes of images [C, H, W]; "
                          "this dataset's samples have shape [2]; use mixup"),
            std::string::npos)
      << r.output;
  e["rows"][1]["augmentations"] = {{{"plugin", "autoaugment"}}};
  r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("autoaugment works on 1- or 3-channel images"), std::string::npos)
      << r.output;
}

}  // namespace

namespace {

// E1's file in its smoke profile, one teacher column and the rows that exercise each plugin: a
// CutMix-trained teacher, KD on CutMix batches, a scratch student on AutoAugment batches, FD.
TEST_F(CliTest, KdAugmentationSmokeRunsEachAugmentationPath) {
  const std::string file = std::string(DFKD_SOURCE_DIR) + "/experiments/kd_augmentation.json";
  const auto r = cli("run '" + file +
                     "' --profile smoke --dataset 'Fashion-MNIST · CutMix teacher' --only "
                     "'KD + CutMix,Scratch + AutoAugment,FD + AutoAugment' --no-table " +
                     db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  std::map<std::string, json> config;
  for (const auto& run : store.runs("kd_augmentation")) {
    EXPECT_EQ(run.status, RunStatus::Completed) << run.row << ": " << run.error;
    config[run.row] = run.config;
  }
  ASSERT_EQ(config.size(), 4u) << r.output;  // the teacher and three rows
  EXPECT_EQ(config["Teacher"].at("augmentations")[0].at("plugin"), "cutmix");
  EXPECT_EQ(config["KD + CutMix"].at("augmentations")[0].at("plugin"), "cutmix");
  EXPECT_EQ(config["Scratch + AutoAugment"].at("augmentations")[0].at("options").at("policy"),
            "random");
  EXPECT_EQ(config["FD + AutoAugment"].at("method").at("plugin"), "fd");
}

}  // namespace
