// The typed run config (config/run_config.hpp): its JSON form is the canonical config the
// run_key hashes, so reading and writing it back must not change one byte.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "config/experiment.hpp"
#include "config/run_config.hpp"
#include "dfkd/errors.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "support/built_plugins.hpp"
#include "support/scoped_env.hpp"
#include "util/hash.hpp"

namespace {

namespace fs = std::filesystem;
using dfkd::ConfigError;
using dfkd::host::CellRun;
using dfkd::host::RunConfig;
using nlohmann::json;

const dfkd::host::PluginHost& plugins() {
  return dfkd::test_support::built_plugins();
}

using dfkd::test_support::ScopedEnv;

std::vector<CellRun> cells_of(const fs::path& file, const std::string& profile) {
  const auto exp = dfkd::host::load_experiment(file, profile);
  return dfkd::host::expand_cells(exp, plugins(), {{}, exp.column_names(), 0});
}

const CellRun& find_cell(const std::vector<CellRun>& cells, const std::string& row,
                         const std::string& column) {
  for (const auto& c : cells)
    if (c.row == row && c.column == column && c.seed == 0) return c;
  throw std::logic_error("no cell " + row + " / " + column);
}

// The run keys of three cells of experiments/table1.json, profile smoke, column MNIST: the
// teacher, the KD student and the Proposed (DFAD) student, with the data root fixed so that the
// key does not depend on where the checkout is. Obtained with
//   DFKD_DATA=/dfkd-data dfkd run experiments/table1.json --profile smoke --dataset MNIST \
//     --only Teacher,KD,Proposed --dry-run --db /tmp/keys.db      (the first 10 digits)
// and the full keys from this test's failure output, which agreed with them. A change here
// changes the identity of every stored run: results would no longer be found as cached.
// History: 453e4ac6.., 601eb85c.., 57a38432.. until the option vocabulary (student_lr,
// generator_lr, ...; method plugins 2.0.0) changed every method's resolved options; then
// fa3fa75e.., 03403d42.., 9aa6c471.. until MNIST became the full set (mnist 2.0.0: options variant,
// validation_size, validation_seed; smoke reads variant subset from $DFKD_DATA/mnist-subset);
// the Proposed key was fdeee074.. until virtual_interpolation 1.1.0 added its `loss` option.
constexpr const char* kTeacherKey =
    "4424eb43ad79dc5c098e3fab540e09ae58ef5583b10c9fd1c61d7ad16953de59";
constexpr const char* kKdKey = "e6152786d4dbe04eeeef076e7ef46868be6765fc1330c722c3bdf11323004fc7";
constexpr const char* kDfadKey = "c8d2efb8e31b2aa03acec9f7b82ba11ac26488290f783d80085ccf6774a00a16";

TEST(RunConfig, RunKeysOfTable1SmokeArePinned) {
  const ScopedEnv data("DFKD_DATA", "/dfkd-data");
  const auto cells = cells_of(fs::path(DFKD_SOURCE_DIR) / "experiments/table1.json", "smoke");
  const auto& teacher = find_cell(cells, "Teacher", "MNIST");
  const auto& kd = find_cell(cells, "KD", "MNIST");
  const auto& dfad = find_cell(cells, "Proposed", "MNIST");
  EXPECT_EQ(teacher.run_key, kTeacherKey);
  EXPECT_EQ(kd.run_key, kKdKey);
  EXPECT_EQ(dfad.run_key, kDfadKey);
  // The typed config hashes to the same key, and names its teacher by that key.
  EXPECT_EQ(dfkd::host::run_key(teacher.config.get<RunConfig>()), kTeacherKey);
  const auto kd_config = kd.config.get<RunConfig>();
  EXPECT_EQ(dfkd::host::run_key(kd_config), kKdKey);
  EXPECT_EQ(kd_config.teacher, std::optional<std::string>(kTeacherKey));
  EXPECT_EQ(dfkd::host::run_key(dfad.config.get<RunConfig>()), kDfadKey);
}

// Table 1's and the ablation's cpu numbers are the proposed study's runs (docs/proposed-study.md,
// "Table 1 and the ablation reuse these runs"): each pair below must be one configuration, so one
// run key per seed and column. Editing one file's row without the other breaks that claim
// here, not silently as a second set of runs.
TEST(RunConfig, Table1AndTheAblationAtCpuAreTheStudysRuns) {
  const ScopedEnv data("DFKD_DATA", "/dfkd-data");
  const auto dir = fs::path(DFKD_SOURCE_DIR) / "experiments";
  const auto study = cells_of(dir / "proposed_study.json", "cpu");
  const auto table1 = cells_of(dir / "table1.json", "cpu");
  const auto ablation = cells_of(dir / "ablation.json", "cpu");
  struct Same {
    const std::vector<CellRun>* cells;
    std::string row, study_row;
  };
  const std::vector<Same> pairs = {
      {&table1, "Teacher", "Teacher"}, {&table1, "DFAL", "DFAD"}, {&table1, "Proposed", "Proposed"},
      {&ablation, "DFAD", "DFAD"},     {&ablation, "+VI", "VI"},  {&ablation, "+AR+VI", "Proposed"},
  };
  for (const auto& p : pairs)
    for (const std::string column : {"MNIST", "Fashion-MNIST"}) {
      SCOPED_TRACE(p.row + " / " + column + " against the study's " + p.study_row);
      EXPECT_EQ(find_cell(*p.cells, p.row, column).run_key,
                find_cell(study, p.study_row, column).run_key);
    }
}

TEST(RunConfig, FieldsOfAResolvedConfig) {
  const ScopedEnv data("DFKD_DATA", "/dfkd-data");
  const auto cells = cells_of(fs::path(DFKD_SOURCE_DIR) / "experiments/table1.json", "smoke");
  const auto c = find_cell(cells, "Proposed", "MNIST").config.get<RunConfig>();
  EXPECT_EQ(c.profile, "smoke");
  EXPECT_EQ(c.role, "student");
  EXPECT_EQ(c.seed, 0);
  EXPECT_EQ(c.dataset.plugin, "mnist");
  EXPECT_EQ(c.dataset.source, json({{"dir", "/dfkd-data/mnist-subset"}}));  // smoke: variant subset
  EXPECT_EQ(c.method.plugin, "dfad");
  ASSERT_TRUE(c.generator.has_value());
  EXPECT_EQ(c.generator->plugin, "conv_generator");
  EXPECT_EQ(c.generator->options.at("ngf"), 8);
  EXPECT_EQ(c.train.epochs, 1);
  EXPECT_EQ(c.train.iterations_per_epoch, 2);
  EXPECT_EQ(c.train.batch_size, 16);
  EXPECT_EQ(c.train.save_generated, 16);
  EXPECT_EQ(c.train.lr_schedule.type, "constant");
  ASSERT_EQ(c.regularizers.size(), 3u);
  EXPECT_EQ(c.regularizers[1].plugin, "activation_feature");
  EXPECT_EQ(c.regularizers[1].weight, 0.1);
  EXPECT_EQ(c.regularizers[1].options.at("normalize"), true);
  EXPECT_TRUE(c.teacher.has_value());
}

// Every cell of every profile of every shipped experiment: JSON -> RunConfig -> JSON gives the
// same document, byte for byte, hence the same run_key.
TEST(RunConfig, RoundTripsEveryShippedConfig) {
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(DFKD_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".json") continue;
    for (const auto& profile : dfkd::host::load_experiment(entry.path(), "").profiles) {
      for (const auto& cell : cells_of(entry.path(), profile)) {
        SCOPED_TRACE(entry.path().filename().string() + " " + profile + " " + cell.row + " " +
                     cell.column);
        const auto typed = cell.config.get<RunConfig>();
        const json back = typed;
        EXPECT_EQ(back, cell.config);
        EXPECT_EQ(back.dump(), cell.config.dump());
        EXPECT_EQ(dfkd::host::run_key(typed), cell.run_key);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100u);
}

json stored_config() {
  // As the store gives it back: parsed from text, so integers are unsigned.
  return json::parse(R"({
    "profile": "p", "role": "student", "seed": 2,
    "dataset": {"plugin": "two_moons", "version": "1.0.0", "options": {"n_train": 64}, "source": null},
    "model": {"plugin": "mlp", "version": "1.0.0", "options": {"hidden": [8]}},
    "method": {"plugin": "dfad", "version": "1.0.0", "options": {"lr_student": 0.1}},
    "generator": {"plugin": "mlp_generator", "version": "1.0.0", "options": {}},
    "regularizers": [{"plugin": "bn_stats", "version": "1.0.0", "options": {}, "weight": 1.0}],
    "teacher": "abc",
    "train": {"epochs": 3, "iterations_per_epoch": 0, "batch_size": 8, "eval_batch_size": 1024,
              "lr_schedule": {"type": "multistep", "milestones": [1, 2], "gamma": 0.1},
              "save_generated": 0}})");
}

TEST(RunConfig, RoundTripsEveryScheduleAndOptionalBlock) {
  auto j = stored_config();
  EXPECT_EQ(json(j.get<RunConfig>()).dump(), j.dump());
  j["train"]["lr_schedule"] = {{"type", "step"}, {"step_size", 2}, {"gamma", 0.5}};
  j["generator"] = nullptr;
  j["teacher"] = nullptr;
  j["regularizers"] = json::array();
  EXPECT_EQ(json(j.get<RunConfig>()).dump(), j.dump());
  j["train"]["lr_schedule"] = {{"type", "cosine"}};
  EXPECT_EQ(json(j.get<RunConfig>()).dump(), j.dump());
  const auto c = j.get<RunConfig>();
  EXPECT_FALSE(c.generator.has_value());
  EXPECT_FALSE(c.teacher.has_value());
  EXPECT_EQ(c.train.lr_schedule.type, "cosine");
  EXPECT_FALSE(c.train.lr_schedule.gamma.has_value());
  EXPECT_EQ(c.train.precision, "fp32");  // by omission
  j["train"]["precision"] = "bf16";
  EXPECT_EQ(json(j.get<RunConfig>()).dump(), j.dump());
  EXPECT_EQ(j.get<RunConfig>().train.precision, "bf16");
}

std::string read_error(const json& j) {
  try {
    (void)j.get<RunConfig>();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(RunConfig, ReadingNamesTheKeyThatIsWrong) {
  auto missing = stored_config();
  missing["train"].erase("epochs");
  EXPECT_NE(read_error(missing).find("run config.train"), std::string::npos) << read_error(missing);
  EXPECT_NE(read_error(missing).find("epochs"), std::string::npos) << read_error(missing);

  auto unknown = stored_config();
  unknown["colour"] = "blue";
  EXPECT_NE(read_error(unknown).find("colour"), std::string::npos) << read_error(unknown);

  auto wrong = stored_config();
  wrong["regularizers"][0]["weight"] = "heavy";
  EXPECT_NE(read_error(wrong).find("run config.regularizers[0].weight"), std::string::npos)
      << read_error(wrong);

  // fp32 is written by omission: a stored "fp32" is not canonical (its key would differ).
  auto stated = stored_config();
  stated["train"]["precision"] = "fp32";
  EXPECT_NE(read_error(stated).find("run config.train.precision: expected \"bf16\" or no key"),
            std::string::npos)
      << read_error(stated);

  EXPECT_NE(read_error(json()).find("run config"), std::string::npos) << read_error(json());
}

}  // namespace
