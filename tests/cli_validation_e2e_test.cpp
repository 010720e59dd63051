// The validation split end to end: a dataset with `validation_size` makes the engine log
// val_accuracy and val_loss every epoch beside test_accuracy (the metric a best-on-validation
// table selection reads); without it, no val_* metric exists.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace {

using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;

/// teachers.json (smoke: LeNet-5 on 20 images per class of the MNIST subset), renamed, with
/// `options` merged into its smoke MNIST dataset options; written into `dir`.
std::string teachers_with(const std::filesystem::path& dir, const std::string& name,
                          const nlohmann::json& options) {
  std::ifstream in(std::string(DFKD_SOURCE_DIR) + "/experiments/teachers.json");
  auto e = nlohmann::json::parse(in);
  e["experiment"] = name;
  e["profiles"]["smoke"]["columns"]["MNIST"]["dataset"]["options"].merge_patch(options);
  e["profiles"]["smoke"]["columns"]["MNIST"]["teacher"]["train"]["epochs"] = 2;
  const auto file = dir / (name + ".json");
  std::ofstream(file) << e.dump(2);
  return file.string();
}

bool has_key(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

TEST_F(CliTest, ValidationSplitIsEvaluatedEveryEpoch) {
  const auto with = teachers_with(dir_, "val_on", {{"validation_size", 300}});
  const auto run = cli("run '" + with + "' --profile smoke --dataset MNIST --no-table " + db_arg());
  if (run.output.find("data files") != std::string::npos)
    GTEST_SKIP() << "MNIST subset not installed (scripts/setup.sh installs it):\n" << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto without = teachers_with(dir_, "val_off", nlohmann::json::object());
  const auto plain =
      cli("run '" + without + "' --profile smoke --dataset MNIST --no-table " + db_arg());
  ASSERT_EQ(plain.exit_code, 0) << plain.output;

  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  const auto on = store.runs("val_on");
  ASSERT_EQ(on.size(), 1u);
  ASSERT_EQ(on[0].status, RunStatus::Completed) << on[0].error;
  EXPECT_EQ(on[0].config.at("dataset").at("options").at("validation_size"), 300);
  const auto keys = store.metric_keys(on[0].run_id);
  for (const char* key : {"val_accuracy", "val_loss", "test_accuracy", "test_loss"})
    EXPECT_TRUE(has_key(keys, key)) << key;
  const auto val = store.metric_series(on[0].run_id, "val_accuracy");
  ASSERT_EQ(val.size(), 2u);  // one per epoch
  for (const auto& p : val) {
    EXPECT_GE(p.value, 0.0);
    EXPECT_LE(p.value, 100.0);
    // 300 images: the accuracy is a multiple of 1/3 %.
    EXPECT_NEAR(p.value * 3, std::round(p.value * 3), 1e-6) << p.value;
  }
  // A summary too, maximised like every accuracy.
  bool summarised = false;
  for (const auto& s : store.summaries(on[0].run_id))
    if (s.key == "val_accuracy") summarised = s.mode == "max";
  EXPECT_TRUE(summarised);

  const auto off = store.runs("val_off");
  ASSERT_EQ(off.size(), 1u);
  ASSERT_EQ(off[0].status, RunStatus::Completed) << off[0].error;
  EXPECT_NE(off[0].run_key, on[0].run_key);
  const auto off_keys = store.metric_keys(off[0].run_id);
  EXPECT_TRUE(has_key(off_keys, "test_accuracy"));
  EXPECT_FALSE(has_key(off_keys, "val_accuracy"));
  EXPECT_FALSE(has_key(off_keys, "val_loss"));
}

}  // namespace
