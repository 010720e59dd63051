// Grids in experiment files (docs/experiments.md, "Grids"): expansion into named rows, their order
// and run keys, profiles and --only on grid rows, figures and tables, and every error with its
// path.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "config/grid.hpp"
#include "dfkd/errors.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "report/table.hpp"
#include "store/results_store.hpp"
#include "support/built_plugins.hpp"
#include "support/cli_fixture.hpp"
#include "support/expect_throw.hpp"
#include "support/temp_dir.hpp"

using dfkd::ConfigError;
using dfkd::host::CellRun;
using dfkd::host::Experiment;
using dfkd::test_support::CliTest;
using nlohmann::json;

namespace {

const dfkd::host::PluginHost& plugins() {
  return dfkd::test_support::built_plugins();
}

// Row 2 declares a grid over its second regularizer's weight and an option the row does not
// write (alpha).
json gridded() {
  return json::parse(R"({
    "experiment": "grid",
    "train": {"epochs": 1, "iterations_per_epoch": 2, "batch_size": 8},
    "columns": [{"name": "moons", "dataset": {"plugin": "two_moons", "options": {"n_train": 64, "n_test": 32}},
                 "student": {"plugin": "mlp", "options": {"hidden": [8]}},
                 "teacher": {"model": {"plugin": "mlp"}, "method": {"plugin": "supervised"}}}],
    "rows": [{"name": "Teacher", "teacher": true},
             {"name": "DFAD", "method": {"plugin": "dfad"}, "generator": {"plugin": "mlp_generator"}},
             {"name": "Proposed", "description": "DFAD + AR + VI", "paper": {"moons": 99.1},
              "method": {"plugin": "dfad"}, "generator": {"plugin": "mlp_generator"},
              "regularizers": [{"plugin": "activation_logit", "weight": 1.0},
                               {"plugin": "virtual_interpolation", "weight": 1.0}],
              "grid": {"regularizers[1].weight": [0.1, 0.3, 1.0],
                       "regularizers[1].options.alpha": [0.2, 1]},
              "grid_labels": {"regularizers[1].weight": "w"}},
             {"name": "Last", "method": {"plugin": "supervised"}}],
    "profiles": {"full": {}, "tiny": {"rows": {"Proposed": {"train": {"batch_size": 4}},
                                               "Proposed alpha=1 w=0.3": {"train": {"batch_size": 2}}}}}
  })");
}

Experiment parse(const json& source, const std::string& profile = "full") {
  return dfkd::host::parse_experiment(source, profile, "x.json");
}

std::vector<CellRun> cells(const json& source, const std::vector<std::string>& only = {},
                           const std::string& profile = "full") {
  return dfkd::host::expand_cells(parse(source, profile), plugins(), {only, {}, 0});
}

/// The ConfigError parsing and expanding `source` throws; "" if it is valid.
std::string config_error(const json& source, const std::string& profile = "full") {
  return dfkd::test_support::message_of<ConfigError>([&] {
    auto exp = parse(source, profile);
    dfkd::host::expand_cells(exp, plugins(), {});
  });
}

std::string has(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos ? "" : "expected \"" + part + "\" in: " + message;
}

std::vector<std::string> student_rows(const std::vector<CellRun>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs)
    if (r.role == "student") out.push_back(r.row);
  return out;
}

}  // namespace

TEST(Grid, ExpandsTheProductInPathOrderWithReadableNames) {
  const auto exp = parse(gridded());
  // Paths in JSON key order ("regularizers[1].options.alpha" first): the first varies slowest;
  // the grid rows stand where the base row was.
  EXPECT_EQ(exp.row_names(),
            (std::vector<std::string>{"Teacher", "DFAD", "Proposed alpha=0.2 w=0.1",
                                      "Proposed alpha=0.2 w=0.3", "Proposed alpha=0.2 w=1",
                                      "Proposed alpha=1 w=0.1", "Proposed alpha=1 w=0.3",
                                      "Proposed alpha=1 w=1", "Last"}));
  const auto& r = exp.rows[4];  // alpha=0.2 w=1
  EXPECT_EQ(r.at("regularizers")[1].at("weight"), 1.0);
  EXPECT_EQ(r.at("regularizers")[1].at("options"), json({{"alpha", 0.2}}));
  EXPECT_EQ(r.at("regularizers")[0], gridded()["rows"][2]["regularizers"][0]);
  EXPECT_EQ(r.at("description"), "DFAD + AR + VI");
  EXPECT_FALSE(r.contains("grid"));
  EXPECT_FALSE(r.contains("grid_labels"));
  EXPECT_FALSE(r.contains("paper")) << "grid rows are variants: no paper numbers";
  EXPECT_FALSE(exp.paper_value("Proposed alpha=1 w=1", "moons"));
  EXPECT_EQ(exp.row_path(4), "x.json.rows[2]");
  EXPECT_EQ(exp.row_path(8), "x.json.rows[3]");
  EXPECT_EQ(exp.grid_bases(), std::vector<std::string>{"Proposed"});
  EXPECT_EQ(cells(gridded()).size(), 1u + 8u);  // teacher + 8 student rows x 1 seed
}

TEST(Grid, ValuesAreNamedCompactly) {
  using dfkd::host::grid_value_label;
  EXPECT_EQ(grid_value_label(json(0.1)), "0.1");
  EXPECT_EQ(grid_value_label(json(1.0)), "1");
  EXPECT_EQ(grid_value_label(json(1e-4)), "0.0001");
  EXPECT_EQ(grid_value_label(json(5)), "5");
  EXPECT_EQ(grid_value_label(json(true)), "true");
  EXPECT_EQ(grid_value_label(json("kl")), "kl");
  EXPECT_EQ(grid_value_label(json::parse("[8, 8]")), "[8,8]");
}

TEST(Grid, AGridRowRunsExactlyAsTheSameRowWrittenByHand) {
  auto by_hand = gridded();
  by_hand["profiles"].erase("tiny");
  auto& row = by_hand["rows"][2];
  row.erase("grid");
  row.erase("grid_labels");
  row["name"] = "Written out";
  row["regularizers"][1]["weight"] = 0.3;
  row["regularizers"][1]["options"] = {{"alpha", 1.0}};
  const auto hand = cells(by_hand, {"Written out"});
  const auto grid = cells(gridded(), {"Proposed alpha=1 w=0.3"});
  ASSERT_EQ(hand.size(), 2u);
  ASSERT_EQ(grid.size(), 2u);
  EXPECT_EQ(grid[1].row, "Proposed alpha=1 w=0.3");
  EXPECT_EQ(grid[1].config, hand[1].config);
  EXPECT_EQ(grid[1].run_key, hand[1].run_key);
  EXPECT_NE(cells(gridded(), {"Proposed alpha=1 w=0.1"})[1].run_key, hand[1].run_key);
}

TEST(Grid, OnlyTakesAGridRowOrTheBaseRowForAllOfThem) {
  EXPECT_EQ(student_rows(cells(gridded(), {"Proposed alpha=0.2 w=0.3"})),
            std::vector<std::string>{"Proposed alpha=0.2 w=0.3"});
  const auto all = student_rows(cells(gridded(), {"Proposed", "Last"}));
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all.front(), "Proposed alpha=0.2 w=0.1");
  EXPECT_EQ(all.back(), "Last");
  EXPECT_THROW_WITH_MESSAGE(cells(gridded(), {"Proposd"}), ConfigError,
                            "grids (all of their rows): Proposed");
}

TEST(Grid, ProfilePatchesOfTheBaseRowReachEveryGridRowAndOneRowByItsName) {
  const auto runs = cells(gridded(), {"Proposed"}, "tiny");
  ASSERT_EQ(runs.size(), 7u);
  for (const auto& r : runs) {
    if (r.role != "student") continue;
    EXPECT_EQ(r.config.at("train").at("batch_size"), r.row == "Proposed alpha=1 w=0.3" ? 2 : 4)
        << r.row;
  }
  auto e = gridded();
  e["profiles"]["tiny"]["rows"]["Proposed"]["grid"] = {{"train.epochs", {1, 2}}};
  EXPECT_EQ(has(config_error(e, "tiny"),
                "x.json.profiles.tiny.rows.Proposed.grid: a profile cannot change a row's grid"),
            "");
  // A patch that replaces what the grid varies would make the grid rows one run.
  e = gridded();
  e["profiles"]["tiny"]["rows"]["Proposed"]["regularizers"] = {{{"plugin", "activation_logit"}}};
  EXPECT_EQ(has(config_error(e, "tiny"),
                "x.json.rows[2].grid: the grid rows 'Proposed alpha=0.2 w=0.1' and 'Proposed "
                "alpha=0.2 w=0.3' run the same config in column 'moons'"),
            "");
}

TEST(Grid, FiguresDrawEveryGridRowOfABaseRow) {
  auto e = gridded();
  e["figures"] = {{{"name", "f"},
                   {"kind", "accuracy_over_epochs"},
                   {"column", "moons"},
                   {"rows", {"DFAD", "Proposed", "Proposed alpha=1 w=1"}}}};
  const auto rows = parse(e).figures.at(0).spec.at("rows").get<std::vector<std::string>>();
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[1], "Proposed alpha=0.2 w=0.1");
  EXPECT_EQ(rows[7], "Proposed alpha=1 w=1");
}

TEST(Grid, TablesListGridRowsWhereTheBaseRowStands) {
  dfkd::test_support::TempDir dir("dfkd_grid_test_");
  dfkd::host::ResultsStore store(dir / "results.db");
  const auto t = dfkd::host::build_table(store, parse(gridded()), "grid.json");
  ASSERT_EQ(t.rows.size(), 9u);
  EXPECT_EQ(t.rows[1], "DFAD");
  EXPECT_EQ(t.rows[2], "Proposed alpha=0.2 w=0.1");
  EXPECT_EQ(t.rows[7], "Proposed alpha=1 w=1");
  EXPECT_EQ(t.rows[8], "Last");
  EXPECT_FALSE(t.cells.at("Proposed alpha=0.2 w=0.1").at("moons").paper);
}

TEST(Grid, PathErrorsNameTheGridEntry) {
  const auto with_grid = [](const json& grid) {
    auto e = gridded();
    e["rows"][2]["grid"] = grid;
    e["rows"][2].erase("grid_labels");
    e["profiles"].erase("tiny");  // it patches a grid row by its name
    return config_error(e);
  };
  EXPECT_EQ(has(with_grid({{"regularizers[5].weight", {0.1}}}),
                "x.json.rows[2].grid[\"regularizers[5].weight\"]: regularizers has 2 entries, "
                "expected an index < 2"),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[1].wieght", {0.1}}}),
                "x.json.rows[2].grid[\"regularizers[1].wieght\"]: regularizers[1] has no key "
                "'wieght'; keys there: plugin, weight"),
            "");
  EXPECT_EQ(has(with_grid({{"train.epochs", {1}}}),
                "x.json.rows[2].grid[\"train.epochs\"]: the row has no key 'train'"),
            "");
  EXPECT_EQ(has(with_grid({{"method.plugin.x", {1}}}),
                "x.json.rows[2].grid[\"method.plugin.x\"]: method.plugin is string, not an "
                "object; it has no key 'x'"),
            "");
  EXPECT_EQ(has(with_grid({{"method[0]", {1}}}),
                "x.json.rows[2].grid[\"method[0]\"]: method is object, not a list"),
            "");
  EXPECT_EQ(has(with_grid({{"method.options.a.b", {1}}}),
                "x.json.rows[2].grid[\"method.options.a.b\"]: method.options has no key 'a'"),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[1].weight", json::array()}}),
                "x.json.rows[2].grid[\"regularizers[1].weight\"]: expected at least one value, "
                "found an empty list"),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[1].weight", 0.1}}),
                "x.json.rows[2].grid[\"regularizers[1].weight\"]: expected a list of values, "
                "found real (0.1)"),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[1]..weight", {0.1}}}),
                "x.json.rows[2].grid[\"regularizers[1]..weight\"]: not a grid path: an empty key "
                "at character 17"),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[x]", {0.1}}}), "not a grid path"), "");
  EXPECT_EQ(has(with_grid({{"name", {"a", "b"}}}),
                "x.json.rows[2].grid[\"name\"]: a grid cannot set the row's name"),
            "");
  EXPECT_EQ(has(with_grid(json::object()), "x.json.rows[2].grid: expected at least one path"), "");
  EXPECT_EQ(has(with_grid(json::array()), "x.json.rows[2].grid: expected an object"), "");
  EXPECT_EQ(has(with_grid({{"regularizers[1]", {json::object()}}, {"regularizers[1].weight", {1}}}),
                "grid[\"regularizers[1].weight\"]: overlaps the grid path \"regularizers[1]\""),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[0].weight", {1}}, {"regularizers[1].weight", {2}}}),
                "x.json.rows[2].grid: the paths \"regularizers[0].weight\" and "
                "\"regularizers[1].weight\" are both labelled 'weight'"),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[1].weight", {1, 1.0}}}),
                "x.json.rows[2].grid[\"regularizers[1].weight\"][1]: the value 1.0 is listed "
                "before, as [0]"),
            "");
}

TEST(Grid, ValueErrorsNameTheGridValue) {
  const auto with_grid = [](const json& grid) {
    auto e = gridded();
    e["rows"][2]["grid"] = grid;
    e["rows"][2].erase("grid_labels");
    e["profiles"].erase("tiny");  // it patches a grid row by its name
    return config_error(e);
  };
  // Checked as the file's rows are (at parse time)...
  EXPECT_EQ(has(with_grid({{"regularizers[1].weight", {0.1, "x"}}}),
                "x.json.rows[2].grid[\"regularizers[1].weight\"][1]: expected a number, found "
                "string"),
            "");
  EXPECT_EQ(has(with_grid({{"regularizers[1]", {{{"plugin", "activation_logit"}, {"wieght", 1}}}}}),
                "x.json.rows[2].grid[\"regularizers[1]\"][0].wieght: unknown key"),
            "");
  // ... and against the plugins, through the values' origins.
  EXPECT_EQ(has(with_grid({{"regularizers[1].options.alpha", {1, -0.5}}}),
                "x.json.rows[2].grid[\"regularizers[1].options.alpha\"][1]: expected a number > 0, "
                "found -0.5"),
            "");
  EXPECT_EQ(has(with_grid({{"method.options.student_lr", {0}}}),
                "x.json.rows[2].grid[\"method.options.student_lr\"][0]: expected a number > 0"),
            "");
  EXPECT_EQ(has(with_grid({{"generator.plugin", {"mlp_generator", "nope"}}}),
                "x.json.rows[2].grid[\"generator.plugin\"][1]: no generator plugin named 'nope'"),
            "");
  auto e = gridded();
  e["rows"][2]["train"] = {{"epochs", 1}};
  e["rows"][2]["grid"] = {{"train.epochs", {1, 0}}};
  e["rows"][2].erase("grid_labels");
  e["profiles"].erase("tiny");
  EXPECT_EQ(has(config_error(e), "x.json.rows[2].grid[\"train.epochs\"][1]: expected an integer"),
            "");
}

TEST(Grid, RowErrorsNameTheRow) {
  auto e = gridded();
  e["rows"][0]["grid"] = {{"paper.moons", {1}}};
  EXPECT_EQ(has(config_error(e), "x.json.rows[0].grid: a teacher row cannot have a grid"), "");
  e = gridded();
  e["rows"][3]["name"] = "Proposed alpha=1 w=0.3";
  EXPECT_EQ(has(config_error(e),
                "x.json.rows[2].grid: the grid row 'Proposed alpha=1 w=0.3' has the name of "
                "x.json.rows[3]"),
            "");
  e = gridded();
  e["rows"][2]["grid_labels"]["regularizers[0].weight"] = "w0";
  EXPECT_EQ(has(config_error(e),
                "x.json.rows[2].grid_labels[\"regularizers[0].weight\"]: not a path of the row's "
                "grid"),
            "");
  e = gridded();
  e["rows"][2]["grid_labels"]["regularizers[1].weight"] = 3;
  EXPECT_EQ(has(config_error(e),
                "x.json.rows[2].grid_labels[\"regularizers[1].weight\"]: expected a string"),
            "");
  e = gridded();
  e["rows"][2]["grid"]["regularizers[0].weight"] = json::array();
  for (int i = 0; i < 11; ++i) e["rows"][2]["grid"]["regularizers[0].weight"].push_back(i);
  e["rows"][2]["grid"]["method.options.student_lr"] = json::array();
  for (int i = 1; i <= 20; ++i) e["rows"][2]["grid"]["method.options.student_lr"].push_back(i);
  EXPECT_EQ(has(config_error(e), "x.json.rows[2].grid: expands into more than 1000 rows"), "");
  // A by_column patch cannot declare a grid either: grids expand once, for every column.
  e = gridded();
  e["rows"][2]["by_column"] = {{"moons", {{"grid", {{"train.epochs", {1}}}}}}};
  EXPECT_EQ(
      has(config_error(e), "x.json.rows[2].by_column.moons.grid: a per-column patch cannot change"),
      "");
}

TEST_F(CliTest, DryRunListsGridRowsByName) {
  std::ifstream in(experiment());
  auto e = json::parse(in);
  e["rows"][3]["grid"] = {{"regularizers[0].weight", {0.5, 1}}};
  e["rows"][3]["grid_labels"] = {{"regularizers[0].weight", "λ"}};
  std::ofstream(dir_ / "grid.json") << e.dump(2);
  auto r = cli("run grid.json --profile smoke --only Proposed --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Proposed λ=0.5 / two_moons / seed 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Proposed λ=1 / two_moons / seed 1"), std::string::npos) << r.output;
  r = cli("run grid.json --profile smoke --only 'Proposed λ=1' --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("Proposed λ=0.5"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Proposed λ=1 / two_moons"), std::string::npos) << r.output;
}
