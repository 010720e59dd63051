// Experiment parsing, profiles, strict validation, canonical run configs and run_keys, and the
// LR schedules the engine applies.
#include <gtest/gtest.h>

#include <cmath>

#include "config/experiment.hpp"
#include "dfkd/errors.hpp"
#include "engine/lr_schedule.hpp"
#include "plugins/plugin_host.hpp"

using dfkd::ConfigError;
using dfkd::host::CellRun;
using nlohmann::json;

namespace {

const dfkd::host::PluginHost& plugins() {
  static dfkd::host::PluginHost* host = [] {
    auto* h = new dfkd::host::PluginHost();  // never destroyed: plugins are never unloaded
    h->load_all({DFKD_PLUGIN_DIR});
    return h;
  }();
  return *host;
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

std::string config_error(const json& source, const std::string& profile = "") {
  try {
    auto exp = dfkd::host::parse_experiment(source, profile, "x.json");
    dfkd::host::expand_cells(exp, plugins(), {});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::vector<CellRun> cells(const json& source, const std::string& profile = "") {
  return dfkd::host::expand_cells(dfkd::host::parse_experiment(source, profile, "x.json"), plugins(), {});
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
  EXPECT_EQ(runs[0].config.at("train").at("batch_size"), 8) << "the row patch must not reach the teacher";
}

TEST(Config, RunKeyIsCanonical) {
  auto a = minimal();
  auto b = minimal();
  b["experiment"] = "another_name";                                 // labels are not part of the key
  b["columns"][0]["dataset"]["options"]["noise"] = 0.1;             // = the default, stated
  b["rows"][1]["method"]["options"] = {{"lr_generator", 0.001}};  // = the default, stated
  b["rows"][1]["method"]["options"]["momentum"] = 0.9;
  EXPECT_EQ(cells(a, "full")[1].run_key, cells(b, "full")[1].run_key);
  b["rows"][1]["method"]["options"]["momentum"] = 0.8;
  EXPECT_NE(cells(a, "full")[1].run_key, cells(b, "full")[1].run_key);
  EXPECT_NE(cells(a, "full")[1].run_key, cells(a, "tiny")[1].run_key) << "profile is part of the key";
}

TEST(Config, IntegerWhereRealExpectedHashesLikeTheReal) {
  auto a = minimal();
  auto b = minimal();
  a["rows"][1]["method"]["options"] = {{"lr_student", 1}};
  b["rows"][1]["method"]["options"] = {{"lr_student", 1.0}};
  EXPECT_EQ(cells(a)[1].run_key, cells(b)[1].run_key);
}

TEST(Config, UnknownKeysNameThePathAndListValidKeys) {
  auto e = minimal();
  e["rows"][1]["generater"] = e["rows"][1]["generator"];
  EXPECT_NE(config_error(e).find("x.json.rows[1].generater: unknown key; valid keys here: name, method, generator"),
            std::string::npos) << config_error(e);
  e = minimal();
  e["trian"] = json::object();
  EXPECT_NE(config_error(e).find("x.json.trian: unknown key"), std::string::npos);
  e = minimal();
  e["train"]["epoch"] = 3;
  EXPECT_NE(config_error(e).find("train.epoch: unknown key; valid keys here: epochs, iterations_per_epoch"),
            std::string::npos) << config_error(e);
}

TEST(Config, WrongTypesAndMissingKeysAreErrors) {
  auto e = minimal();
  e["train"]["epochs"] = "two";
  EXPECT_NE(config_error(e).find("x.json.train.epochs: expected an integer, found string"), std::string::npos)
      << config_error(e);
  e = minimal();
  e["rows"][1]["method"]["options"] = {{"student_steps", 2.5}};
  EXPECT_NE(config_error(e).find("rows[1].method.options.student_steps: wrong type: expected integer, found real"),
            std::string::npos) << config_error(e);
  e = minimal();
  e["columns"][0].erase("student");
  EXPECT_NE(config_error(e).find("x.json.columns[0]: missing required key 'student'"), std::string::npos)
      << config_error(e);
  e = minimal();
  e["rows"][1]["method"]["plugin"] = "dfadd";
  EXPECT_NE(config_error(e).find("no method plugin named 'dfadd'; loaded method plugins: "), std::string::npos)
      << config_error(e);
}

TEST(Config, MethodTraitsAreChecked) {
  auto e = minimal();
  e["rows"][1].erase("generator");
  EXPECT_NE(config_error(e).find("method 'dfad' needs a generator"), std::string::npos) << config_error(e);
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
  EXPECT_NE(config_error(minimal(), "nope").find("no profile 'nope'; profiles in this experiment: full, tiny"),
            std::string::npos);
  auto e = minimal();
  e["profiles"]["tiny"]["rows"] = {{"NoSuchRow", json::object()}};
  EXPECT_NE(config_error(e, "tiny").find("no row named 'NoSuchRow'; rows: Teacher, DFAD"), std::string::npos)
      << config_error(e, "tiny");
  e = minimal();
  e["profiles"]["tiny"]["datasets"] = {"cifar"};
  EXPECT_NE(config_error(e, "tiny").find("datasets[0]: no column named 'cifar'"), std::string::npos);
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
  for (const auto& run : dfkd::host::expand_cells(exp, plugins(), {})) EXPECT_EQ(run.column, "other");
  bool saw_moons = false;
  for (const auto& run : dfkd::host::expand_cells(exp, plugins(), {{}, {"moons"}, 0}))
    saw_moons |= run.column == "moons";
  EXPECT_TRUE(saw_moons);
}

TEST(Config, PaperValues) {
  auto exp = dfkd::host::parse_experiment(minimal(), "", "x.json");
  EXPECT_EQ(exp.paper_value("DFAD", "moons"), 97.5);
  EXPECT_FALSE(exp.paper_value("Teacher", "moons").has_value());
}

TEST(LrSchedule, Factors) {
  using dfkd::host::lr_factor;
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

TEST(LrSchedule, BadSchedulesAreConfigErrors) {
  auto e = minimal();
  e["train"]["lr_schedule"] = {{"type", "linear"}};
  EXPECT_NE(config_error(e).find("lr_schedule.type: expected one of constant, step, multistep, cosine; found \"linear\""),
            std::string::npos) << config_error(e);
  e["train"]["lr_schedule"] = {{"type", "step"}};
  EXPECT_NE(config_error(e).find("lr_schedule.step_size: expected an integer, found null"), std::string::npos)
      << config_error(e);
}
