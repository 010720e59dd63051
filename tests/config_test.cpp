// Experiment parsing, profiles, strict validation, canonical run configs and run_keys, and the
// LR schedules the engine applies.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "config/experiment.hpp"
#include "dfkd/errors.hpp"
#include "engine/lr_schedule.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "support/built_plugins.hpp"
#include "support/expect_throw.hpp"
#include "support/temp_dir.hpp"

using dfkd::ConfigError;
using dfkd::host::CellRun;
using nlohmann::json;

namespace {

const dfkd::host::PluginHost& plugins() {
  return dfkd::test_support::built_plugins();
}

json minimal() {
  return json::parse(R"({
    "experiment": "mini",
    "train": {"epochs": 2, "iterations_per_epoch": 3, "batch_size": 8},
    "columns": [{"name": "moons", "dataset": {"plugin": "two_moons", "options": {"n_train": 64, "n_test": 32}},
                 "student": {"plugin": "mlp", "options": {"hidden": [8]}},
                 "teacher": {"model": {"plugin": "mlp"}, "method": {"plugin": "supervised"}}}],
    "rows": [{"name": "Teacher", "teacher": true},
             {"name": "DFAD", "method": {"plugin": "dfad"}, "generator": {"plugin": "mlp_generator"},
              "paper": {"moons": 97.5}}],
    "profiles": {"full": {"seeds": 2}, "tiny": {"train": {"epochs": 1}, "rows": {"DFAD": {"train": {"batch_size": 4}}}}}
  })");
}

/// The ConfigError parsing and expanding `source` throws; "" if it is valid.
std::string config_error(const json& source, const std::string& profile = "") {
  return dfkd::test_support::message_of<ConfigError>([&] {
    auto exp = dfkd::host::parse_experiment(source, profile, "x.json");
    dfkd::host::expand_cells(exp, plugins(), {});
  });
}

std::vector<CellRun> cells(const json& source, const std::string& profile = "") {
  return dfkd::host::expand_cells(dfkd::host::parse_experiment(source, profile, "x.json"),
                                  plugins(), {});
}

}  // namespace

TEST(Config, ExpandsTeacherFirstThenRowsTimesSeeds) {
  const auto runs = cells(minimal(), "full");
  ASSERT_EQ(runs.size(), 3u);  // 1 teacher + DFAD x 2 seeds
  EXPECT_EQ(runs[0].role, "teacher");
  EXPECT_EQ(runs[0].row, "Teacher");
  EXPECT_EQ(runs[1].seed, 0);
  EXPECT_EQ(runs[2].seed, 1);
  EXPECT_EQ(runs[1].parent_run_key, runs[0].run_key);
  EXPECT_EQ(runs[1].config.at("teacher"), runs[0].run_key);
  EXPECT_NE(runs[1].run_key, runs[2].run_key);
}

TEST(Config, ResolvedConfigHasEveryDefaultAndPluginVersions) {
  const auto runs = cells(minimal(), "full");
  const auto& c = runs[1].config;
  EXPECT_EQ(c.at("method").at("options").at("student_steps"), 5);  // dfad's declared default
  EXPECT_TRUE(c.at("method").contains("version"));
  EXPECT_EQ(c.at("train").at("eval_batch_size"), 1024);  // host default
  EXPECT_EQ(c.at("train").at("lr_schedule"), json({{"type", "constant"}}));
  EXPECT_EQ(c.at("profile"), "full");
}

TEST(Config, ProfilesPatchTrainAndRows) {
  const auto runs = cells(minimal(), "tiny");
  ASSERT_EQ(runs.size(), 2u);  // seeds default to 1
  EXPECT_EQ(runs[1].config.at("train").at("epochs"), 1);
  EXPECT_EQ(runs[1].config.at("train").at("batch_size"), 4);
  EXPECT_EQ(runs[0].config.at("train").at("batch_size"), 8)
      << "the row patch must not reach the teacher";
}

TEST(Config, RunKeyIsCanonical) {
  auto a = minimal();
  auto b = minimal();
  b["experiment"] = "another_name";                               // labels are not part of the key
  b["columns"][0]["dataset"]["options"]["noise"] = 0.1;           // = the default, stated
  b["rows"][1]["method"]["options"] = {{"generator_lr", 0.001}};  // = the default, stated
  b["rows"][1]["method"]["options"]["student_momentum"] = 0.9;
  EXPECT_EQ(cells(a, "full")[1].run_key, cells(b, "full")[1].run_key);
  b["rows"][1]["method"]["options"]["student_momentum"] = 0.8;
  EXPECT_NE(cells(a, "full")[1].run_key, cells(b, "full")[1].run_key);
  EXPECT_NE(cells(a, "full")[1].run_key, cells(a, "tiny")[1].run_key)
      << "profile is part of the key";
}

// A profile's "jobs" is only `dfkd run`'s default parallelism: it never enters a run key.
TEST(Config, ProfileJobsIsReadAndLeavesRunKeysAlone) {
  auto e = minimal();
  EXPECT_EQ(dfkd::host::parse_experiment(e, "tiny", "x.json").jobs, 0) << "unset: one per core";
  const auto key = cells(e, "tiny")[1].run_key;
  e["profiles"]["tiny"]["jobs"] = 1;
  EXPECT_EQ(dfkd::host::parse_experiment(e, "tiny", "x.json").jobs, 1);
  EXPECT_EQ(cells(e, "tiny")[1].run_key, key);
  e["profiles"]["tiny"]["jobs"] = 0;
  const auto zero = config_error(e, "tiny");
  EXPECT_NE(zero.find("profiles.tiny.jobs"), std::string::npos) << zero;
  e["profiles"]["tiny"]["jobs"] = "two";
  const auto text = config_error(e, "tiny");
  EXPECT_NE(text.find("profiles.tiny.jobs"), std::string::npos) << text;
  e["profiles"]["tiny"].erase("jobs");
  e["profiles"]["full"]["jobs"] = -1;  // another profile's mistake is still found
  const auto other = config_error(e, "tiny");
  EXPECT_NE(other.find("profiles.full.jobs"), std::string::npos) << other;
}

TEST(Config, IntegerWhereRealExpectedHashesLikeTheReal) {
  auto a = minimal();
  auto b = minimal();
  a["rows"][1]["method"]["options"] = {{"student_lr", 1}};
  b["rows"][1]["method"]["options"] = {{"student_lr", 1.0}};
  EXPECT_EQ(cells(a)[1].run_key, cells(b)[1].run_key);
}

TEST(Config, UnknownKeysNameThePathAndListValidKeys) {
  auto e = minimal();
  e["rows"][1]["generater"] = e["rows"][1]["generator"];
  EXPECT_NE(config_error(e).find(
                "x.json.rows[1].generater: unknown key (did you mean 'generator'?); valid keys "
                "here: name, method, generator"),
            std::string::npos)
      << config_error(e);
  e = minimal();
  e["trian"] = json::object();
  EXPECT_NE(config_error(e).find("x.json.trian: unknown key (did you mean 'train'?)"),
            std::string::npos)
      << config_error(e);
  e = minimal();
  e["train"]["epoch"] = 3;
  EXPECT_NE(config_error(e).find(
                "train.epoch: unknown key (did you mean 'epochs'?); valid keys here: epochs, "
                "iterations_per_epoch"),
            std::string::npos)
      << config_error(e);
}

TEST(Config, WrongTypesAndMissingKeysAreErrors) {
  auto e = minimal();
  e["train"]["epochs"] = "two";
  EXPECT_NE(config_error(e).find("x.json.train.epochs: expected an integer, found string"),
            std::string::npos)
      << config_error(e);
  e = minimal();
  e["rows"][1]["method"]["options"] = {{"student_steps", 2.5}};
  EXPECT_NE(config_error(e).find(
                "rows[1].method.options.student_steps: wrong type: expected integer, found real"),
            std::string::npos)
      << config_error(e);
  e = minimal();
  e["columns"][0].erase("student");
  EXPECT_NE(config_error(e).find("x.json.columns[0]: missing required key 'student'"),
            std::string::npos)
      << config_error(e);
  e = minimal();
  e["rows"][1]["method"]["plugin"] = "dfadd";
  EXPECT_NE(config_error(e).find(
                "no method plugin named 'dfadd' (did you mean 'dfad'?); loaded method plugins: "),
            std::string::npos)
      << config_error(e);
}

TEST(Config, MethodTraitsAreChecked) {
  auto e = minimal();
  e["rows"][1].erase("generator");
  EXPECT_NE(config_error(e).find("method 'dfad' needs a generator"), std::string::npos)
      << config_error(e);
  e = minimal();
  e["rows"][1]["method"] = {{"plugin", "supervised"}};
  EXPECT_NE(config_error(e).find("method 'supervised' does not use a generator"), std::string::npos)
      << config_error(e);
  e = minimal();
  e["rows"][1]["method"] = {{"plugin", "supervised"}};
  e["rows"][1].erase("generator");
  e["rows"][1]["regularizers"] = {{{"plugin", "activation_logit"}}};
  EXPECT_NE(config_error(e).find("method 'supervised' takes no regularizers"), std::string::npos);
}

TEST(Config, ProfileErrors) {
  EXPECT_NE(config_error(minimal(), "nope")
                .find("no profile 'nope'; profiles in this experiment: full, tiny"),
            std::string::npos);
  auto e = minimal();
  e["profiles"]["tiny"]["rows"] = {{"NoSuchRow", json::object()}};
  EXPECT_NE(config_error(e, "tiny").find("no row named 'NoSuchRow'; rows: Teacher, DFAD"),
            std::string::npos)
      << config_error(e, "tiny");
  e = minimal();
  e["profiles"]["tiny"]["datasets"] = {"cifar"};
  EXPECT_NE(config_error(e, "tiny").find("datasets[0]: no column named 'cifar'"),
            std::string::npos);
}

// A profile's `metric` patches the file's: the cpu profile of table1.json holds out validation
// images and reads its table at best_val; other profiles keep the file's selection, and no run key
// moves.
TEST(Config, ProfileMetricPatchesTheFilesAndKeepsRunKeys) {
  auto e = minimal();
  e["metric"] = {{"key", "test_accuracy"}, {"selection", "final"}};
  e["profiles"]["tiny"]["metric"] = {{"selection", "best_val"}};
  const auto tiny = dfkd::host::parse_experiment(e, "tiny", "x.json");
  EXPECT_EQ(tiny.metric.selection, "best_val");
  EXPECT_EQ(tiny.metric.key, "test_accuracy");
  EXPECT_EQ(dfkd::host::parse_experiment(e, "full", "x.json").metric.selection, "final");
  EXPECT_EQ(cells(e, "tiny").back().run_key, cells(minimal(), "tiny").back().run_key);
  e["profiles"]["tiny"]["metric"] = {{"selection", "latest"}};
  EXPECT_NE(config_error(e, "tiny").find("x.json.profiles.tiny.metric.selection: expected"),
            std::string::npos)
      << config_error(e, "tiny");
  e["profiles"]["tiny"]["metric"] = {{"selektion", "best"}};
  EXPECT_NE(config_error(e, "tiny").find("selektion"), std::string::npos)
      << config_error(e, "tiny");
}

// Found by tests/fuzz/experiment_fuzz (regressions/experiment/): a profile patch that renamed an
// entry to a number escaped as a json type_error (exit 1) instead of a ConfigError naming the path.
TEST(Config, ProfilePatchCannotRename) {
  for (const json& name : {json(5), json("Other"), json(nullptr)}) {
    auto e = minimal();
    e["profiles"]["tiny"]["rows"] = {{"DFAD", {{"name", name}}}};
    EXPECT_NE(config_error(e, "tiny").find("profiles.tiny.rows.DFAD.name: a profile patch cannot "
                                           "change the row's name"),
              std::string::npos)
        << config_error(e, "tiny");
    e = minimal();
    e["profiles"]["tiny"]["columns"] = {{"moons", {{"name", name}}}};
    EXPECT_NE(config_error(e, "tiny").find("columns.moons.name: a profile patch cannot change the "
                                           "column's name"),
              std::string::npos)
        << config_error(e, "tiny");
  }
}

TEST(Config, ProfileDatasetsRestrictColumnsUnlessTheCliNamesThem) {
  auto e = minimal();
  e["columns"].push_back(e["columns"][0]);
  e["columns"][1]["name"] = "other";
  e["profiles"]["tiny"]["datasets"] = {"other"};
  auto exp = dfkd::host::parse_experiment(e, "tiny", "x.json");
  for (const auto& run : dfkd::host::expand_cells(exp, plugins(), {}))
    EXPECT_EQ(run.column, "other");
  bool saw_moons = false;
  for (const auto& run : dfkd::host::expand_cells(exp, plugins(), {{}, {"moons"}, 0}))
    saw_moons |= run.column == "moons";
  EXPECT_TRUE(saw_moons);
}

// ---- numbers are validated at parse time, and errors name the place that set the value ----

namespace {
std::string has(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos ? "" : "expected \"" + part + "\" in: " + message;
}
}  // namespace

TEST(Config, TrainBlockHasUpperBounds) {
  auto e = minimal();
  e["train"]["batch_size"] = 1000000000;  // was a 32 GB allocation at run time
  EXPECT_EQ(has(config_error(e),
                "x.json.train.batch_size: expected an integer in [1, 65536], found 1000000000"),
            "");
  e = minimal();
  e["train"]["epochs"] = 100001;
  EXPECT_EQ(
      has(config_error(e), "x.json.train.epochs: expected an integer in [1, 100000], found 100001"),
      "");
  e = minimal();
  e["columns"][0]["train"] = {{"eval_batch_size", 70000}};
  EXPECT_EQ(has(config_error(e),
                "x.json.columns[0].train.eval_batch_size: expected an integer in [1, 65536]"),
            "");
  e = minimal();
  e["rows"][1]["train"] = {{"save_generated", -1}};
  EXPECT_EQ(
      has(config_error(e),
          "x.json.rows[1].train.save_generated: expected an integer in [0, 1000000], found -1"),
      "");
  e = minimal();
  e["train"]["lr_schedule"] = {{"type", "step"}, {"step_size", 2}, {"gamma", -0.5}};
  EXPECT_EQ(
      has(config_error(e), "x.json.train.lr_schedule.gamma: expected a number > 0, found -0.5"),
      "");
  e = minimal();
  e["train"]["batch_size"] = 65536;  // the bound itself is fine
  EXPECT_EQ(config_error(e), "");
}

// train.precision: fp32 is the default and is left out of the canonical config, so stating it
// keeps the run key every fp32 run had before the option existed; bf16 is part of the key.
TEST(Config, PrecisionIsFp32ByOmissionOrBf16) {
  const auto plain = cells(minimal(), "full");
  auto e = minimal();
  e["rows"][1]["train"] = {{"precision", "fp32"}};
  const auto fp32 = cells(e, "full");
  EXPECT_EQ(fp32[1].run_key, plain[1].run_key);
  EXPECT_FALSE(fp32[1].config.at("train").contains("precision"));
  e["rows"][1]["train"] = {{"precision", "bf16"}};
  const auto bf16 = cells(e, "full");
  EXPECT_EQ(bf16[1].config.at("train").at("precision"), "bf16");
  EXPECT_NE(bf16[1].run_key, plain[1].run_key);
  EXPECT_EQ(bf16[0].run_key, plain[0].run_key) << "a row's precision must not reach the teacher";
  e["rows"][1]["train"] = {{"precision", "fp16"}};
  EXPECT_EQ(has(config_error(e),
                "x.json.rows[1].train.precision: expected \"fp32\" or \"bf16\" (autocast to "
                "bfloat16, docs/experiments.md); found \"fp16\""),
            "");
  e["rows"][1]["train"] = {{"precision", 16}};
  EXPECT_EQ(has(config_error(e), "x.json.rows[1].train.precision: expected a string"), "");
}

TEST(Config, PluginOptionRangesNameThePath) {
  auto e = minimal();
  e["rows"][1]["method"]["options"] = {{"student_lr", -0.05}};
  EXPECT_EQ(has(config_error(e),
                "x.json.rows[1].method.options.student_lr: expected a number > 0, found -0.05"),
            "");
  e["rows"][1]["method"]["options"] = {{"student_lr", 1e308}};  // finite, but not as a float
  EXPECT_EQ(has(config_error(e),
                "x.json.rows[1].method.options.student_lr: expected a finite number "
                "representable as a float (|x| <= 3.40282e+38), found 1e+308"),
            "");
  e["rows"][1]["method"]["options"] = {{"student_momentum", 1}};
  EXPECT_EQ(
      has(config_error(e),
          "x.json.rows[1].method.options.student_momentum: expected a number in [0, 1), found 1"),
      "");
  e["rows"][1]["method"]["options"] = {{"student_steps", 0}};
  EXPECT_EQ(has(config_error(e),
                "x.json.rows[1].method.options.student_steps: expected an integer in [1, 10000], "
                "found 0"),
            "");
  e = minimal();
  e["columns"][0]["student"]["options"]["hidden"] = {8, 0};
  EXPECT_EQ(has(config_error(e),
                "x.json.columns[0].student.options.hidden[1]: expected an integer in [1, 65536], "
                "found 0"),
            "");
  e = minimal();
  e["columns"][0]["teacher"]["method"]["options"] = {{"student_lr", 0}};
  EXPECT_EQ(
      has(config_error(e),
          "x.json.columns[0].teacher.method.options.student_lr: expected a number > 0, found 0"),
      "");
}

TEST(Config, RegularizerWeightMustBeAFiniteFloat) {
  auto e = minimal();
  e["rows"][1]["regularizers"] = {{{"plugin", "activation_logit"}, {"weight", 1e300}}};
  EXPECT_EQ(has(config_error(e), "x.json.rows[1].regularizers[0].weight: expected a finite number"),
            "");
  e["rows"][1]["regularizers"] = {
      {{"plugin", "activation_logit"}, {"weight", -0.5}}};  // flips the sign: fine
  EXPECT_EQ(config_error(e), "");
}

TEST(Config, ProfileValuesAreReportedAtTheProfilesOwnPath) {
  auto e = minimal();
  e["profiles"]["tiny"]["train"]["epochs"] = 0;
  EXPECT_EQ(has(config_error(e, "tiny"),
                "x.json.profiles.tiny.train.epochs: expected an integer in [1, 100000], found 0"),
            "");
  e = minimal();
  e["profiles"]["tiny"]["rows"]["DFAD"]["train"]["batch_size"] = 0;
  EXPECT_EQ(has(config_error(e, "tiny"),
                "x.json.profiles.tiny.rows.DFAD.train.batch_size: expected an integer in [1, "
                "65536], found 0"),
            "");
  e = minimal();
  e["profiles"]["tiny"]["rows"]["DFAD"]["method"] = {{"options", {{"student_lr", -0.05}}}};
  EXPECT_EQ(has(config_error(e, "tiny"),
                "x.json.profiles.tiny.rows.DFAD.method.options.student_lr: expected a number > 0, "
                "found -0.05"),
            "");
  e = minimal();
  e["profiles"]["tiny"]["rows"]["DFAD"]["method"] = {{"optons", json::object()}};
  EXPECT_EQ(
      has(config_error(e, "tiny"), "x.json.profiles.tiny.rows.DFAD.method.optons: unknown key"),
      "");
  e = minimal();
  e["profiles"]["tiny"]["columns"] = {{"moons", {{"dataset", {{"options", {{"n_train", 0}}}}}}}};
  EXPECT_EQ(has(config_error(e, "tiny"),
                "x.json.profiles.tiny.columns.moons.dataset.options.n_train: expected an integer"),
            "");
  e = minimal();
  e["profiles"]["tiny"]["columns"] = {{"moons", {{"teacher", {{"train", {{"epochs", -3}}}}}}}};
  EXPECT_EQ(has(config_error(e, "tiny"), "x.json.profiles.tiny.columns.moons.teacher.train.epochs"),
            "");
  // A value the profile does not set is still reported where the file sets it.
  e = minimal();
  e["rows"][1]["method"]["options"] = {{"student_lr", -1}};
  EXPECT_EQ(has(config_error(e, "tiny"), "x.json.rows[1].method.options.student_lr"), "");
}

TEST(Config, ByColumnValuesAreReportedAtTheirOwnPath) {
  auto e = minimal();
  e["rows"][1]["by_column"] = {{"moons", {{"method", {{"options", {{"generator_lr", -1}}}}}}}};
  EXPECT_EQ(
      has(config_error(e),
          "x.json.rows[1].by_column.moons.method.options.generator_lr: expected a number > 0"),
      "");
  e["rows"][1]["by_column"] = {{"moons", {{"train", {{"batch_size", 0}}}}}};
  EXPECT_EQ(has(config_error(e), "x.json.rows[1].by_column.moons.train.batch_size"), "");
}

TEST(Config, EveryProfileIsValidatedNotOnlyTheChosenOne) {
  auto e = minimal();
  e["profiles"]["full"]["trian"] = json::object();  // a typo in a profile not run today
  EXPECT_EQ(has(config_error(e, "tiny"), "x.json.profiles.full.trian: unknown key"), "");
  e = minimal();
  e["profiles"]["full"]["rows"] = {{"DFAD", {{"train", {{"epochs", 0}}}}}};
  EXPECT_EQ(has(config_error(e, "tiny"), "x.json.profiles.full.rows.DFAD.train.epochs"), "");
  e = minimal();
  e["profiles"]["full"]["rows"] = {{"DFDA", json::object()}};
  EXPECT_EQ(has(config_error(e, "tiny"), "x.json.profiles.full.rows.DFDA: no row named 'DFDA'"),
            "");
  // Plugin options need the plugins: check_every_profile expands every profile's cells.
  e = minimal();
  e["profiles"]["full"]["rows"] = {{"DFAD", {{"method", {{"options", {{"lr_studnet", 0.1}}}}}}}};
  const auto exp = dfkd::host::parse_experiment(e, "tiny", "x.json");
  EXPECT_NO_THROW(dfkd::host::expand_cells(exp, plugins(), {}));
  EXPECT_THROW_WITH_MESSAGE(
      dfkd::host::check_every_profile(exp, plugins()), ConfigError,
      "x.json.profiles.full.rows.DFAD.method.options.lr_studnet: unknown option");
  EXPECT_NO_THROW(dfkd::host::check_every_profile(
      dfkd::host::parse_experiment(minimal(), "tiny", "x.json"), plugins()));
}

TEST(Config, ExperimentFileThatIsADirectoryOrOverflowsANumber) {
  const dfkd::test_support::TempDir temp("dfkd_config_");
  const std::filesystem::path& dir = temp.path();
  std::filesystem::create_directories(dir / "exp.json");
  EXPECT_THROW_WITH_MESSAGE(
      dfkd::host::load_experiment(dir / "exp.json", ""), ConfigError,
      (dir / "exp.json").string() + ": is a directory, not an experiment file");
  std::ofstream(dir / "big.json") << "{\n  \"experiment\": \"x\",\n  \"seeds\": 1e309\n}\n";
  const std::string overflow = dfkd::test_support::thrown_message<ConfigError>(
      [&] { dfkd::host::load_experiment(dir / "big.json", ""); },
      "ConfigError (1e309 was accepted)");
  EXPECT_EQ(has(overflow, (dir / "big.json").string() + ": not valid JSON"), "");
  EXPECT_EQ(has(overflow, "number overflow"), "");
  EXPECT_EQ(has(overflow, "at line 3, column"), "");
}

TEST(Options, RangesAreCheckedWithThePath) {
  const std::vector<dfkd::OptionSpec> specs = {
      dfkd::option_real("lr", 0.1, "lr").greater_than(0),
      dfkd::option_real("momentum", 0.9, "m").at_least(0).less_than(1),
      dfkd::option_int("steps", 5, "s").at_least(1).at_most(10),
      dfkd::option_ints("widths", {4}, "w").non_empty().at_least(1),
      dfkd::option_real("free", 0.0, "any finite value")};
  auto error = [&](const json& given) {
    return dfkd::test_support::message_of<ConfigError>(
        [&] { dfkd::resolve_options(specs, given, "p.options"); });
  };
  EXPECT_EQ(error({{"lr", -0.05}}), "p.options.lr: expected a number > 0, found -0.05");
  EXPECT_EQ(error({{"lr", 0}}), "p.options.lr: expected a number > 0, found 0");
  EXPECT_EQ(error({{"momentum", 1.0}}),
            "p.options.momentum: expected a number in [0, 1), found 1.0");
  EXPECT_EQ(error({{"steps", 11}}), "p.options.steps: expected an integer in [1, 10], found 11");
  EXPECT_EQ(error({{"widths", {3, -1}}}),
            "p.options.widths[1]: expected an integer >= 1, found -1");
  EXPECT_EQ(error({{"widths", json::array()}}),
            "p.options.widths: expected a list of at least 1 element, found []");
  EXPECT_EQ(has(error({{"free", -1e300}}),
                "p.options.free: expected a finite number representable as a float"),
            "");
  EXPECT_EQ(error({{"lr", 1e-9}, {"momentum", 0}, {"steps", 10}, {"free", -3.5e38 / 2}}), "");
  // The per-value paths a host passes (e.g. the profile patch that set the value).
  EXPECT_EQ(dfkd::test_support::thrown_message<ConfigError>(
                [&] {
                  dfkd::resolve_options(specs, {{"lr", -1}}, "p.options",
                                        {{"lr", "f.json.profiles.smoke.rows.X.lr"}});
                },
                "ConfigError"),
            "f.json.profiles.smoke.rows.X.lr: expected a number > 0, found -1");
  EXPECT_EQ(dfkd::describe_range(specs[0]), "> 0");
  EXPECT_EQ(dfkd::describe_range(specs[1]), "in [0, 1)");
  EXPECT_EQ(dfkd::describe_range(specs[4]), "");
}

TEST(Options, RangesAreMetadataTheResolvedValuesAreUnchanged) {
  const auto plain = dfkd::option_real("lr", 0.1, "lr");
  const auto ranged = plain.greater_than(0).at_most(1);
  EXPECT_EQ(dfkd::resolve_options({plain}, {{"lr", 0.5}}, "p"),
            dfkd::resolve_options({ranged}, {{"lr", 0.5}}, "p"));
  EXPECT_EQ(dfkd::resolve_options({plain}, {}, "p").dump(),
            dfkd::resolve_options({ranged}, {}, "p").dump());
  EXPECT_FALSE(plain.min_value.has_value()) << "at_least & co. return a copy";
}

// A plugin reading an option with another type's accessor is told so, naming the option: a real
// read with integer() used to come back truncated (0.7 -> 0) without a word, and string() on a
// number threw nlohmann's type_error naming neither the plugin nor the option.
TEST(Options, ReadingWithAnotherTypesAccessorNamesTheOption) {
  const std::vector<dfkd::OptionSpec> specs = {dfkd::option_real("epsilon", 0.7, "e"),
                                               dfkd::option_int("steps", 3, "s"),
                                               dfkd::option_strings("names", {"a"}, "n")};
  const dfkd::Options o("kd_ls", dfkd::resolve_options(specs, {{"steps", 4}}, "p"));
  EXPECT_DOUBLE_EQ(o.real("epsilon"), 0.7);
  EXPECT_EQ(o.integer("steps"), 4);
  EXPECT_DOUBLE_EQ(o.real("steps"), 4.0);  // an integer is a fine real, as in the files
  EXPECT_EQ(o.strings("names"), std::vector<std::string>{"a"});
  auto error = [&](auto read) {
    return dfkd::test_support::thrown_message<std::logic_error>(read, "std::logic_error");
  };
  EXPECT_EQ(error([&] { o.integer("epsilon"); }),
            "kd_ls: option 'epsilon' holds real 0.7 but is read with Options::integer(); read it "
            "with the accessor of the type info() declares for it");
  EXPECT_NE(error([&] { o.string("steps"); }).find("'steps' holds integer 4"), std::string::npos);
  EXPECT_NE(error([&] { o.reals("names"); }).find("read with Options::reals()"), std::string::npos);
  EXPECT_EQ(error([&] { o.real("eps"); }),
            "kd_ls: option 'eps' was read but never declared in info()");
}

// Suggestions for a misspelt name: one clear candidate within two edits (a swap of neighbours is
// one), never a guess between equals, never for a short name where two edits change most of it.
TEST(DidYouMean, SuggestsOnlyAClearCloseCandidate) {
  const std::vector<std::string> options{"temperature", "alpha", "gamma", "student_lr"};
  EXPECT_EQ(dfkd::did_you_mean("temprature", options), " (did you mean 'temperature'?)");
  EXPECT_EQ(dfkd::did_you_mean("studnet_lr", options), " (did you mean 'student_lr'?)");
  EXPECT_EQ(dfkd::did_you_mean("lr_studnet", options), "");       // too far from anything
  EXPECT_EQ(dfkd::did_you_mean("alpha", options), "");            // not a typo
  EXPECT_EQ(dfkd::did_you_mean("gamm", {"gamma", "gamm2"}), "");  // two at one edit: a guess
  EXPECT_EQ(dfkd::did_you_mean("ab", {"xy"}), "");
  EXPECT_EQ(dfkd::did_you_mean("kd_lss", {"kd", "kd_ls", "dfad"}), " (did you mean 'kd_ls'?)");
  // In a message: the unknown option of a plugin, with the path and the valid options.
  const std::vector<dfkd::OptionSpec> specs = {dfkd::option_real("temperature", 4, "T")};
  EXPECT_EQ(dfkd::test_support::message_of<ConfigError>([&] {
              dfkd::resolve_options(specs, {{"temprature", 2}}, "f.rows[1].options");
            }),
            "f.rows[1].options.temprature: unknown option (did you mean 'temperature'?); valid "
            "options: temperature (real)");
}

TEST(Config, PaperValues) {
  auto exp = dfkd::host::parse_experiment(minimal(), "", "x.json");
  EXPECT_EQ(exp.paper_value("DFAD", "moons"), 97.5);
  EXPECT_FALSE(exp.paper_value("Teacher", "moons").has_value());
}

// A method may exempt an optimizer from the schedule (DAFL decays its student's lr only).
TEST(LrSchedule, ExemptOptimizersKeepTheirLearningRate) {
  auto w = torch::zeros({2}, torch::requires_grad());
  dfkd::TrainContext::NamedOptimizer student{
      "student",
      std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                          torch::optim::SGDOptions(0.1)),
      {0.1}};
  dfkd::TrainContext::NamedOptimizer generator{
      "generator",
      std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{w},
                                           torch::optim::AdamOptions(1e-3)),
      {1e-3},
      dfkd::TrainContext::Schedule::Exempt};
  std::vector<dfkd::TrainContext::NamedOptimizer> optimizers;
  optimizers.push_back(std::move(student));
  optimizers.push_back(std::move(generator));
  dfkd::host::apply_lr_factor(optimizers, 0.5);
  EXPECT_DOUBLE_EQ(optimizers[0].optimizer->param_groups()[0].options().get_lr(), 0.05);
  EXPECT_DOUBLE_EQ(optimizers[1].optimizer->param_groups()[0].options().get_lr(), 1e-3);
}

TEST(LrSchedule, Factors) {
  // Resolved "lr_schedule" blocks, read as the engine reads them.
  const auto lr_factor = [](const json& schedule, int64_t epoch, int64_t epochs) {
    return dfkd::host::lr_factor(schedule.get<dfkd::host::LrSchedule>(), epoch, epochs);
  };
  EXPECT_EQ(lr_factor({{"type", "constant"}}, 7, 10), 1.0);
  const json step{{"type", "step"}, {"step_size", 3}, {"gamma", 0.5}};
  EXPECT_DOUBLE_EQ(lr_factor(step, 2, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_factor(step, 3, 10), 0.5);
  EXPECT_DOUBLE_EQ(lr_factor(step, 7, 10), 0.25);
  // DAFL's CIFAR schedule: x0.1 at epoch 800, x0.01 at 1600 (0-based epoch index >= milestone).
  const json multi{{"type", "multistep"}, {"milestones", {800, 1600}}, {"gamma", 0.1}};
  EXPECT_DOUBLE_EQ(lr_factor(multi, 799, 2000), 1.0);
  EXPECT_DOUBLE_EQ(lr_factor(multi, 800, 2000), 0.1);
  EXPECT_NEAR(lr_factor(multi, 1999, 2000), 0.01, 1e-15);
  const json cosine{{"type", "cosine"}};
  EXPECT_DOUBLE_EQ(lr_factor(cosine, 0, 10), 1.0);
  EXPECT_NEAR(lr_factor(cosine, 5, 10), 0.5, 1e-15);
}

// Found by fuzz_experiment: a null in the top-level train block deleted the default and the
// resolver then threw a json out_of_range instead of using the default.
TEST(TrainBlock, NullMeansTheDefault) {
  auto e = minimal();
  e["train"]["save_generated"] = nullptr;
  e["train"]["lr_schedule"] = nullptr;
  const auto runs = cells(e);
  const auto& train = runs.at(1).config.at("train");
  EXPECT_EQ(train.at("save_generated"), 512);
  EXPECT_EQ(train.at("lr_schedule"), (nlohmann::json{{"type", "constant"}}));
}

TEST(LrSchedule, BadSchedulesAreConfigErrors) {
  auto e = minimal();
  e["train"]["lr_schedule"] = {{"type", "linear"}};
  EXPECT_NE(
      config_error(e).find(
          "lr_schedule.type: expected one of constant, step, multistep, cosine; found \"linear\""),
      std::string::npos)
      << config_error(e);
  e["train"]["lr_schedule"] = {{"type", "step"}};
  EXPECT_NE(config_error(e).find("lr_schedule.step_size: expected an integer, found null"),
            std::string::npos)
      << config_error(e);
}
