// `dfkd table` statistics on a store written directly (no training): the 95 % CI per cell, Welch's
// t-test against a --compare-to row, cells of one seed without spread, and the best_val selection.
// Expected CI and p values are the mpmath goldens of tests/statistics_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "dfkd/errors.hpp"
#include "report/table.hpp"
#include "support/cli_fixture.hpp"
#include "support/expect_throw.hpp"

namespace {

using dfkd::ConfigError;
using dfkd::host::build_table;
using dfkd::host::compare_rows;
using dfkd::host::EnvironmentInfo;
using dfkd::host::fill_commands;
using dfkd::host::MetricSummary;
using dfkd::host::render_table;
using dfkd::host::ResultsStore;
using dfkd::host::RunPlan;
using dfkd::host::RunStatus;
using dfkd::host::table_json;
using dfkd::test_support::message_of;
using nlohmann::json;

/// Per epoch (1, 2, ...): the metrics logged.
using Epochs = std::vector<std::map<std::string, double>>;

// A two-moons shaped definition; its plugins are never loaded here.
const json kDefinition = json::parse(R"({
  "experiment": "stats", "title": "Statistics table",
  "metric": {"key": "test_accuracy", "selection": "final"},
  "columns": [{"name": "moons",
               "dataset": {"plugin": "two_moons"},
               "student": {"plugin": "mlp"},
               "teacher": {"model": {"plugin": "mlp"}, "method": {"plugin": "supervised"}}}],
  "rows": [{"name": "Teacher", "teacher": true},
           {"name": "A", "method": {"plugin": "supervised"}},
           {"name": "B", "method": {"plugin": "supervised"}},
           {"name": "C", "method": {"plugin": "supervised"}}],
  "default_profile": "default",
  "profiles": {"default": {}}
})");

class TableStatsTest : public dfkd::test_support::CliTest {
 protected:
  /// A run of `row`, seed `seed`, planned, linked to its cell and claimed; returns its id.
  std::string claimed_run(ResultsStore& store, const std::string& row, int seed) {
    if (env_.empty()) {
      store.upsert_experiment("stats", "Statistics table", kDefinition);
      env_ = store.ensure_environment(
          {"abc", false, "gcc", "2", "cpu", 1, "blas", "host", "Test CPU", 2});
    }
    RunPlan plan;
    plan.run_key = row + "-" + std::to_string(seed);
    plan.experiment = "stats";
    plan.row = row;
    plan.column = "moons";
    plan.seed = seed;
    plan.profile = "default";
    plan.role = "student";
    plan.method = "supervised";
    plan.config = {{"row", row}, {"seed", seed}};
    const auto run = store.plan_run(plan);
    store.link_cell({"stats", "default", row, "moons", seed, plan.run_key});
    EXPECT_TRUE(store.claim_run(run.run_id, env_));
    return run.run_id;
  }

  /// A completed run of `row`, seed `seed`, with these epochs; its summary of test_accuracy.
  void add_run(ResultsStore& store, const std::string& row, int seed, const Epochs& epochs) {
    const auto run_id = claimed_run(store, row, seed);
    MetricSummary test{"test_accuracy", 0, -1, 0, "max"};
    for (size_t e = 0; e < epochs.size(); ++e) {
      store.log_epoch(run_id, static_cast<int64_t>(e + 1), 0, epochs[e]);
      const double v = epochs[e].at("test_accuracy");
      test.final_value = v;
      if (v > test.best_value) test.best_value = v, test.best_epoch = static_cast<int64_t>(e + 1);
    }
    store.complete_run(run_id, {test}, 1.0);
  }

  /// Final test accuracies `values`, one run (seed) each.
  void add_cell(ResultsStore& store, const std::string& row, const std::vector<double>& values) {
    for (size_t i = 0; i < values.size(); ++i)
      add_run(store, row, static_cast<int>(i), {{{"test_accuracy", values[i]}}});
  }

  /// Teacher: one seed; A {1..5}; B {2, 4, 6, 8, 10}; C {10, 11, 12}.
  void fill(ResultsStore& store) {
    add_cell(store, "Teacher", {97.5});
    add_cell(store, "A", {1, 2, 3, 4, 5});
    add_cell(store, "B", {2, 4, 6, 8, 10});
    add_cell(store, "C", {10, 11, 12});
  }

  static dfkd::host::Experiment experiment(const std::string& selection = "final") {
    auto exp = dfkd::host::parse_experiment(kDefinition, "", "stats");
    exp.metric.selection = selection;
    return exp;
  }

  std::string env_;
};

TEST_F(TableStatsTest, JsonCarriesCi95AndNoSpreadForOneSeed) {
  ResultsStore store(db_);
  fill(store);
  const auto j = table_json(build_table(store, experiment(), "stats.json"));
  const auto& teacher = j.at("rows")[0].at("cells").at("moons");
  EXPECT_EQ(teacher.at("n"), 1);
  EXPECT_DOUBLE_EQ(teacher.at("mean").get<double>(), 97.5);
  EXPECT_TRUE(teacher.at("std").is_null());
  EXPECT_TRUE(teacher.at("ci95").is_null());
  const auto& a = j.at("rows")[1].at("cells").at("moons");
  EXPECT_NEAR(a.at("std").get<double>(), 1.5811388300841898, 1e-12);  // sqrt(2.5)
  EXPECT_NEAR(a.at("ci95").get<double>(), 1.9632431614775576977, 1e-12);
  EXPECT_NEAR(j.at("rows")[3].at("cells").at("moons").at("ci95").get<double>(),
              2.4841377117503310710, 1e-12);
  EXPECT_FALSE(a.contains("diff"));  // no --compare-to
  EXPECT_TRUE(j.at("compare_to").is_null());
  // What the numbers are, at the top level.
  EXPECT_EQ(j.at("profile"), "default");
  EXPECT_EQ(j.at("metric"), "test_accuracy");
  EXPECT_EQ(j.at("selection"), "final");
  EXPECT_NE(j.at("ci95_rule").get<std::string>().find("95 %"), std::string::npos);
}

TEST_F(TableStatsTest, TrainingTimeCountsARunSharedByCellsOnce) {
  ResultsStore store(db_);
  fill(store);  // 14 runs of 1.0 s each
  EXPECT_DOUBLE_EQ(build_table(store, experiment(), "stats.json").wall_seconds, 14.0);
  // A's seed-0 run also read as C's seed 3 (two experiments' rows with one run key do this; so
  // does a teacher shown in every column): its second second is not training time.
  store.link_cell({"stats", "default", "C", "moons", 3, "A-0"});
  const auto table = build_table(store, experiment(), "stats.json");
  EXPECT_EQ(table.cells.at("C").at("moons").values.size(), 4u);
  EXPECT_DOUBLE_EQ(table.wall_seconds, 14.0);
}

TEST_F(TableStatsTest, WallTimeNamesTheMachineOfEachRun) {
  ResultsStore store(db_);
  fill(store);  // 14 runs of 1.0 s each on "Test CPU, 2 CPUs"
  // One more seed of C, trained on another machine behind the same hostname.
  env_ = store.ensure_environment(
      {"abc", false, "gcc", "2", "cpu", 1, "blas", "host", "Other CPU", 8});
  store.complete_run(claimed_run(store, "C", 3), {MetricSummary{"test_accuracy", 13, 13, 1, "max"}},
                     2.5);
  const auto table = build_table(store, experiment(), "stats.json");
  EXPECT_DOUBLE_EQ(table.wall_seconds, 16.5);
  const auto md = render_table(table, "md");
  EXPECT_NE(md.find("every attempt): 16.5 s (Other CPU, 8 CPUs: 1 run, 2.5 s; Test CPU, 2 CPUs: "
                    "14 runs, 14.0 s)."),
            std::string::npos)
      << md;
  // Runs of dfkd before store schema 4 do not know their CPU; the table says so.
  auto unrecorded = table;
  unrecorded.machines = {{EnvironmentInfo{}.machine(), {1, 2.5}}};
  EXPECT_NE(render_table(unrecorded, "md").find("16.5 s (machine not recorded)."),
            std::string::npos);
  const auto j = table_json(table).at("machines");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1].at("machine"), "Test CPU, 2 CPUs");
  EXPECT_EQ(j[1].at("runs"), 14);
  EXPECT_DOUBLE_EQ(j[0].at("wall_seconds").get<double>(), 2.5);
}

// A cell with some of its seeds gets a fill command too (C has 3 of the 5 seeds); a full cell,
// and the teacher's single run, get none.
TEST_F(TableStatsTest, FillCommandsNameCellsWithSomeOfTheirSeeds) {
  ResultsStore store(db_);
  fill(store);
  auto exp = experiment();
  exp.seeds = 5;
  const auto commands = fill_commands(build_table(store, exp, "stats.json"));
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0],
            "dfkd run stats.json --profile default --only 'C' --dataset 'moons'   # 3 of 5 seeds");
  exp.seeds = 3;
  EXPECT_TRUE(fill_commands(build_table(store, exp, "stats.json")).empty());
  // C's missing seeds training now: nothing to fill.
  exp.seeds = 5;
  claimed_run(store, "C", 3);
  claimed_run(store, "C", 4);
  EXPECT_TRUE(fill_commands(build_table(store, exp, "stats.json")).empty());
}

TEST_F(TableStatsTest, CompareToGivesWelchDiffAndP) {
  ResultsStore store(db_);
  fill(store);
  auto table = build_table(store, experiment(), "stats.json");
  compare_rows(table, "A");
  const auto j = table_json(table);
  EXPECT_EQ(j.at("compare_to"), "A");
  auto cell = [&](int row) { return j.at("rows")[row].at("cells").at("moons"); };
  EXPECT_FALSE(cell(0).contains("p")) << "the teacher has one seed";
  EXPECT_FALSE(cell(1).contains("diff")) << "the reference row itself";
  EXPECT_DOUBLE_EQ(cell(2).at("diff").get<double>(), 3.0);  // B - A
  EXPECT_NEAR(cell(2).at("p").get<double>(), 0.10753119493062724, 1e-12);
  EXPECT_DOUBLE_EQ(cell(3).at("diff").get<double>(), 8.0);  // C - A
  EXPECT_NEAR(cell(3).at("p").get<double>(), 0.0001363358923779529, 1e-12);
  // Holm over the column's two tests: the smaller p doubles, the larger keeps its own (it is
  // above twice the smaller); the step-down arithmetic by hand.
  EXPECT_NEAR(cell(2).at("p_holm").get<double>(), 0.10753119493062724, 1e-12);
  EXPECT_NEAR(cell(3).at("p_holm").get<double>(), 2 * 0.0001363358923779529, 1e-12);

  const auto md = render_table(table, "md");
  EXPECT_NE(md.find("| B | 6.00 ± 3.93 (n=5) · vs A +3.00, p=0.108 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| C | 11.00 ± 2.48 (n=3) · vs A +8.00, p<0.001*† |"), std::string::npos) << md;
  EXPECT_NE(md.find("| A | 3.00 ± 1.96 (n=5) · reference |"), std::string::npos) << md;
  EXPECT_NE(md.find("97.50 (n=1) · vs A: no test (n < 2)"), std::string::npos) << md;
  EXPECT_NE(md.find("Welch"), std::string::npos) << md;
  EXPECT_NE(md.find("* p < 0.05"), std::string::npos) << md;
  EXPECT_NE(md.find("† p < 0.05 also after Holm's adjustment"), std::string::npos) << md;

  const auto csv = render_table(table, "csv");
  // Profile and metric close every row: appended, so readers by position keep working.
  EXPECT_EQ(
      csv.rfind("row,column,mean,std,n,paper,values,ci95,diff,p,profile,metric,selection,p_holm\n",
                0),
      0u)
      << csv;
  EXPECT_NE(csv.find("\nC,moons,11.00,1.00,3,,10.00;11.00;12.00,2.48,8.00,0.0001363,default,"
                     "test_accuracy,final,0.0002727\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(render_table(table, "latex").find("11.00 $\\pm$ 2.48$^{*\\dagger}$"),
            std::string::npos);
}

// A p below 0.05 that Holm's adjustment lifts above it keeps its * but gets no †, and the table
// shows the adjusted p beside it; the cells are set by hand, so only the rendering is under test.
TEST(TableRender, HolmAdjustedPIsShownWhereItDiffers) {
  using namespace dfkd::host;
  ResultTable t;
  t.experiment = t.title = "family";
  t.profile = "default";
  t.metric.key = "test_accuracy";
  t.metric.selection = "final";
  t.columns = {"c"};
  t.rows = {"Ref", "X", "Y"};
  t.compare_to = "Ref";
  for (const auto& r : t.rows) {
    auto& cell = t.cells[r]["c"];
    cell.values = {1, 2};
    cell.mean = 1.5;
  }
  t.cells["X"]["c"].versus = WelchTest{0.5, 3, 2, 0.03};
  t.cells["X"]["c"].p_holm = 0.06;
  t.cells["Y"]["c"].versus = WelchTest{0.5, 3, 2, 0.04};
  t.cells["Y"]["c"].p_holm = 0.06;
  const auto md = render_table(t, "md");
  EXPECT_NE(md.find("· vs Ref +0.50, p=0.03* (Holm p=0.06) |"), std::string::npos) << md;
  EXPECT_NE(md.find("· vs Ref +0.50, p=0.04* (Holm p=0.06) |"), std::string::npos) << md;
  EXPECT_EQ(md.find("†"), md.find("† p < 0.05 also")) << "only the rule mentions †: " << md;
  const auto latex = render_table(t, "latex");
  EXPECT_NE(latex.find("1.50$^{*}$"), std::string::npos) << latex;
  EXPECT_EQ(latex.find("1.50$^{*\\dagger}$"), std::string::npos) << latex;
  EXPECT_NE(render_table(t, "csv").find("\nX,c,1.50,,2,,1.00;2.00,,0.50,0.03,default,"
                                        "test_accuracy,final,0.06\n"),
            std::string::npos);
}

TEST_F(TableStatsTest, OneSeedShowsNoSpreadInAnyFormat) {
  ResultsStore store(db_);
  fill(store);
  const auto table = build_table(store, experiment(), "stats.json");
  const auto md = render_table(table, "md");
  EXPECT_NE(md.find("| Teacher | 97.50 (n=1) |"), std::string::npos) << md;
  EXPECT_NE(md.find("n = 1: no spread"), std::string::npos) << md;
  EXPECT_NE(md.find("± 95 % CI (t, n seeds)"), std::string::npos) << md;
  const auto csv = render_table(table, "csv");
  EXPECT_NE(csv.find("\nTeacher,moons,97.50,,1,,97.50,,,,default,test_accuracy,final,\n"),
            std::string::npos)
      << csv;
  const auto latex = render_table(table, "latex");
  EXPECT_NE(latex.find("Teacher & 97.50 \\\\"), std::string::npos) << latex;
  EXPECT_NE(latex.find("n = 1, one seed has no spread"), std::string::npos) << latex;
}

TEST_F(TableStatsTest, BestValReadsTestAccuracyAtTheBestValidationEpoch) {
  ResultsStore store(db_);
  // Validation peaks at epoch 2 in both runs (a tie with epoch 3 in the first: earliest wins).
  add_run(store, "A", 0,
          {{{"val_accuracy", 50}, {"test_accuracy", 40}},
           {{"val_accuracy", 80}, {"test_accuracy", 70}},
           {{"val_accuracy", 80}, {"test_accuracy", 75}}});
  add_run(store, "A", 1,
          {{{"val_accuracy", 60}, {"test_accuracy", 55}},
           {{"val_accuracy", 90}, {"test_accuracy", 65}},
           {{"val_accuracy", 85}, {"test_accuracy", 90}}});
  auto values = [&](const std::string& selection) {
    return build_table(store, experiment(selection), "stats.json").cells.at("A").at("moons").values;
  };
  EXPECT_EQ(values("best_val"), (std::vector<double>{70, 65}));
  EXPECT_EQ(values("final"), (std::vector<double>{75, 90}));
  EXPECT_EQ(values("best"), (std::vector<double>{75, 90}));
  EXPECT_NE(table_json(build_table(store, experiment("best_val"), "stats.json"))
                .at("selection_rule")
                .get<std::string>()
                .find("best val_accuracy"),
            std::string::npos);

  add_run(store, "B", 0, {{{"test_accuracy", 50}}});  // trained without a validation split
  const auto message =
      message_of<ConfigError>([&] { build_table(store, experiment("best_val"), "stats.json"); });
  EXPECT_NE(message.find("B / moons / seed 0"), std::string::npos) << message;
  EXPECT_NE(message.find("no val_accuracy"), std::string::npos) << message;
  EXPECT_NE(message.find("validation_size"), std::string::npos) << message;
}

TEST_F(TableStatsTest, CliCompareToAndSelection) {
  {
    ResultsStore store(db_);
    fill(store);
  }
  auto r = cli("table stats --format json --compare-to C " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = json::parse(r.output);
  EXPECT_DOUBLE_EQ(j.at("rows")[1].at("cells").at("moons").at("diff").get<double>(), -8.0);

  r = cli("table stats --compare-to Nope " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--compare-to: 'Nope' is not a row of stats"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("'Teacher', 'A', 'B', 'C'"), std::string::npos) << r.output;

  // The header says when --selection overrides the profile's (whose description may name it).
  r = cli("table stats --selection best " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(--selection best instead of the profile's final)"), std::string::npos)
      << r.output;
  r = cli("table stats " + db_arg());
  EXPECT_EQ(r.output.find("instead of the profile's"), std::string::npos) << r.output;

  r = cli("table stats --selection best_val " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("validation_size"), std::string::npos) << r.output;
  r = cli("table stats --selection newest " + db_arg());
  EXPECT_NE(r.exit_code, 0) << r.output;
}

}  // namespace

// A failed run is an error to read, not work in progress: the cell says so and names the run.
TEST_F(TableStatsTest, FailedRunsShowAsFailedWithTheRunToRead) {
  ResultsStore store(db_);
  add_cell(store, "C", {10, 11, 12});
  const auto c_failed = claimed_run(store, "C", 3);
  store.end_run(c_failed, RunStatus::Failed, "non-finite loss_student", 1.0);
  const auto a_failed = claimed_run(store, "A", 0);
  store.end_run(a_failed, RunStatus::Failed, "boom", 1.0);
  const auto table = build_table(store, experiment(), "stats.json");
  const auto md = render_table(table, "md");
  EXPECT_NE(md.find("| A | failed (dfkd runs show " + a_failed.substr(0, 12) + ") |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("(n=3, 1 failed: dfkd runs show " + c_failed.substr(0, 12) + ")"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| B | not run |"), std::string::npos) << md;
  EXPECT_EQ(table_json(table).at("rows")[3].at("cells").at("moons").at("failed"), 1);
  EXPECT_EQ(table_json(table).at("rows")[2].at("cells").at("moons").at("failed"), 0);
}

namespace {

dfkd::host::Experiment with_contrasts(const json& contrasts) {
  json definition = kDefinition;
  definition["contrasts"] = contrasts;
  return dfkd::host::parse_experiment(definition, "", "stats");
}

}  // namespace

// Contrasts pair the rows' runs by seed. B − A is {1, 2, 3, 4, 5} seed by seed and C − 2 A is
// {8, 7, 6} on seeds 0-2 (C has no seed 3 or 4); their t and p are the mpmath one-sample goldens
// of tests/statistics_test.cpp (t = 3 / sqrt(2.5 / 5), p = 0.01323559956368269) and, for
// {8, 7, 6}, t = 7 / (1 / sqrt(3)) = 12.124355652982141, p = 0.0067340833351555643 (mpmath, same
// formula).
TEST_F(TableStatsTest, ContrastsArePairedBySeedWithCiAndPairedTest) {
  ResultsStore store(db_);
  fill(store);
  const auto exp = with_contrasts(json::parse(R"([
    {"name": "B over A", "terms": {"B": 1, "A": -1}, "paper": {"moons": 2.5}},
    {"name": "C over twice A", "terms": {"A": -2, "C": 1}},
    {"name": "Teacher over C", "terms": {"Teacher": 1, "C": -1}}])"));
  const auto table = build_table(store, exp, "stats.json");
  const auto j = table_json(table);
  ASSERT_EQ(j.at("contrasts").size(), 3u);
  const auto& b_a = j.at("contrasts")[0].at("cells").at("moons");
  EXPECT_EQ(b_a.at("values"), json({1.0, 2.0, 3.0, 4.0, 5.0}));
  EXPECT_DOUBLE_EQ(b_a.at("mean").get<double>(), 3.0);
  EXPECT_NEAR(b_a.at("ci95").get<double>(), 1.9632431614775576977, 1e-12);
  EXPECT_NEAR(b_a.at("t").get<double>(), 4.2426406871192851, 1e-12);
  EXPECT_NEAR(b_a.at("p").get<double>(), 0.01323559956368269, 1e-12);
  EXPECT_DOUBLE_EQ(b_a.at("paper").get<double>(), 2.5);

  const auto& c_a = j.at("contrasts")[1].at("cells").at("moons");
  EXPECT_EQ(c_a.at("seeds"), json({0, 1, 2}));
  EXPECT_EQ(c_a.at("values"), json({8.0, 7.0, 6.0}));
  EXPECT_NEAR(c_a.at("t").get<double>(), 12.124355652982141, 1e-11);
  EXPECT_NEAR(c_a.at("p").get<double>(), 0.0067340833351555643, 1e-12);
  EXPECT_EQ(j.at("contrasts")[1].at("formula"), "C − 2 × A");

  const auto& one = j.at("contrasts")[2].at("cells").at("moons");  // the teacher has seed 0 only
  EXPECT_EQ(one.at("n"), 1);
  EXPECT_TRUE(one.at("ci95").is_null());
  EXPECT_TRUE(one.at("p").is_null());

  const auto md = render_table(table, "md");
  EXPECT_NE(md.find("| B over A = B − A | +3.00 ± 1.96 (n=5) · p=0.0132* · paper +2.50 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| Teacher over C = Teacher − C | +87.50 (n=1) |"), std::string::npos) << md;
  EXPECT_NE(render_table(table, "latex").find("B over A & +3.00 $\\pm$ 1.96$^{*}$ (+2.50)"),
            std::string::npos);
}

TEST(ContrastConfig, ErrorsNameThePathAndWhatIsKnown) {
  auto message = [](const char* contrasts) {
    return message_of<ConfigError>([&] { with_contrasts(json::parse(contrasts)); });
  };
  auto m = message(R"([{"name": "x", "terms": {"A": 1, "D": -1}}])");
  EXPECT_NE(m.find("stats.contrasts[0].terms.D: 'D' is not a row"), std::string::npos) << m;
  EXPECT_NE(m.find("'Teacher', 'A', 'B', 'C'"), std::string::npos) << m;
  m = message(R"([{"name": "x", "terms": {"A": 1, "B": 0}}])");
  EXPECT_NE(m.find("stats.contrasts[0].terms.B: expected a non-zero coefficient"),
            std::string::npos)
      << m;
  m = message(R"([{"name": "x", "terms": {"A": 1}}])");
  EXPECT_NE(m.find("expected at least two rows"), std::string::npos) << m;
  m = message(R"([{"name": "x", "terms": {"A": 1, "B": "-1"}}])");
  EXPECT_NE(m.find("stats.contrasts[0].terms.B"), std::string::npos) << m;
  m = message(R"([{"name": "x", "terms": {"A": 1, "B": -1}, "paper": {"cifar": 1}}])");
  EXPECT_NE(m.find("stats.contrasts[0].paper.cifar: 'cifar' is not a column"), std::string::npos)
      << m;
  m = message(R"([{"name": "x", "terms": {"A": 1, "B": -1}, "weight": 2}])");
  EXPECT_NE(m.find("weight"), std::string::npos) << m;
}

// `dfkd table --metric KEY` reads any metric the runs log, at the table's selection: a diagnostic
// like a class fraction prints with enough decimals for three significant digits, the paper's
// numbers (of the declared metric) are dropped, a row that does not log the metric (the teacher)
// says "not logged", and a metric no run logs is an error listing what the runs do log.
TEST_F(TableStatsTest, MetricOptionReadsAnotherLoggedMetric) {
  {
    ResultsStore store(db_);
    add_cell(store, "Teacher", {97.5});
    const std::vector<double> gap{0.0123, 0.0125, 0.0127};
    for (int seed = 0; seed < 3; ++seed) {
      const auto run_id = claimed_run(store, "A", seed);
      store.log_epoch(run_id, 1, 0, {{"test_accuracy", 90.0 + seed}, {"gap", gap[seed]}});
      store.complete_run(run_id,
                         {{"test_accuracy", 90.0 + seed, 90.0 + seed, 1, "max"},
                          {"gap", gap[seed], gap[seed], 1, "max"}},
                         1.0);
    }
  }
  json definition = kDefinition;
  definition["rows"][1]["paper"] = {{"moons", 99.0}};
  const auto exp = dfkd::host::parse_experiment(definition, "", "stats");
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);

  const auto accuracy =
      dfkd::host::build_table_of_metric(store, exp, "stats.json", "test_accuracy");
  EXPECT_EQ(accuracy.decimals, 2);
  EXPECT_EQ(accuracy.cells.at("A").at("moons").paper, 99.0);

  const auto table = dfkd::host::build_table_of_metric(store, exp, "stats.json", "gap");
  EXPECT_EQ(table.decimals, 4);  // 2 - floor(log10(0.0123))
  EXPECT_FALSE(table.cells.at("A").at("moons").paper);
  // mean 0.0125, s = 0.0002, half-width t_{0.975,2} * s / sqrt(3) = 4.302653 * 0.000115470 =
  // 0.000497 (t from scipy.stats.t.ppf(0.975, 2)).
  const auto md = render_table(table, "md");
  EXPECT_NE(md.find("| A | 0.0125 ± 0.0005 (n=3) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Teacher | not logged |"), std::string::npos) << md;
  EXPECT_EQ(md.find("--only 'Teacher'"), std::string::npos) << md;  // ran; nothing to fill
  EXPECT_NE(md.find("--only 'B'"), std::string::npos) << md;        // never ran
  EXPECT_EQ(md.find(" · paper "), std::string::npos) << md;
  EXPECT_EQ(md.find("paper value and Δ"), std::string::npos) << md;  // no paper value to explain
  EXPECT_NE(render_table(accuracy, "md").find("paper value and Δ"), std::string::npos);
  EXPECT_NE(md.find("Wall time of the runs shown (every attempt): 3.0 s on Test CPU, 2 CPUs."),
            std::string::npos)
      << md;
  EXPECT_EQ(table.cells.at("Teacher").at("moons").without_metric, 1);
  // Against a row that does not log the metric, the missing test says so (not "n < 2").
  auto versus_teacher = table;
  dfkd::host::compare_rows(versus_teacher, "Teacher");
  EXPECT_NE(render_table(versus_teacher, "md")
                .find("0.0125 ± 0.0005 (n=3) · vs Teacher: no test (Teacher does not log this "
                      "metric)"),
            std::string::npos)
      << render_table(versus_teacher, "md");

  auto r = cli("table stats --metric gap --format json " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(json::parse(r.output).at("metric"), "gap");
  r = cli("table stats --metric nope " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no completed run of stats (profile default) logs 'nope'"),
            std::string::npos)
      << r.output;
  // What every row logs, between them (the teacher logs no gap), and the likely one when misspelt.
  EXPECT_NE(r.output.find("its runs log: gap, test_accuracy"), std::string::npos) << r.output;
  r = cli("table stats --metric gapp " + db_arg());
  EXPECT_NE(r.output.find("logs 'gapp' (did you mean 'gap'?)"), std::string::npos) << r.output;
}
