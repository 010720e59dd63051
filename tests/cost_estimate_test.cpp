// The plan's and `dfkd status`'s cost estimate: the median epoch of completed runs alike, pooled.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "planner/cost_estimate.hpp"
#include "planner/progress.hpp"
#include "store/results_store.hpp"
#include "support/temp_dir.hpp"

using dfkd::host::CostEstimate;
using dfkd::host::ResultsStore;
using dfkd::host::RunPlan;
using dfkd::host::RunRecord;
using nlohmann::json;

namespace {

json config(int epochs, const json& regularizers = json::array()) {
  auto j = json::parse(R"({
    "profile": "cpu", "role": "student", "seed": 0,
    "dataset": {"plugin": "two_moons", "version": "1.0.0", "options": {}, "source": null},
    "model": {"plugin": "mlp", "version": "1.0.0", "options": {}},
    "method": {"plugin": "dfad", "version": "1.0.0", "options": {}},
    "generator": null, "regularizers": [], "teacher": null,
    "train": {"epochs": 3, "iterations_per_epoch": 50, "batch_size": 8, "eval_batch_size": 64,
              "lr_schedule": {"type": "constant"}, "save_generated": 0}})");
  j["train"]["epochs"] = epochs;
  j["regularizers"] = regularizers;
  return j;
}

json regularizer(double weight, const std::string& tap) {
  return json::array({{{"plugin", "activation_logit"},
                       {"version", "1.0.0"},
                       {"options", {{"tap", tap}}},
                       {"weight", weight}}});
}

RunRecord unplanned(int epochs, const json& regularizers = json::array(),
                    const std::string& column = "MNIST") {
  RunRecord r;
  r.profile = "cpu";
  r.column = column;
  r.role = "student";
  r.method = "dfad";
  r.config = config(epochs, regularizers);
  return r;
}

/// `like`'s labels and config, planned in the store under `key`.
std::string plan_like(ResultsStore& store, const std::string& key, const RunRecord& like) {
  RunPlan p;
  p.run_key = key;
  p.experiment = "study";
  p.row = "DFAD";
  p.column = like.column;
  p.profile = like.profile;
  p.role = like.role;
  p.method = like.method;
  p.config = like.config;
  return store.plan_run(p).run_id;
}

/// A completed run: `epoch_seconds` as its epochs logged them (none: a run recorded before
/// epoch_seconds existed), `wall` its recorded wall time.
void complete(ResultsStore& store, const std::string& key, const std::vector<double>& epoch_seconds,
              double wall, const RunRecord& like) {
  const auto id = plan_like(store, key, like);
  ASSERT_TRUE(store.claim_run(id, ""));
  for (size_t e = 0; e < epoch_seconds.size(); ++e)
    store.log_epoch(id, static_cast<int64_t>(e + 1), 0, {{"epoch_seconds", epoch_seconds[e]}});
  store.complete_run(id, {}, wall);
}

/// The three 3-epoch runs alike of the first test's comment, two of them slowed.
void complete_three_alike(ResultsStore& store) {
  complete(store, "a", {10, 500, 600}, 1112, unplanned(3));
  complete(store, "b", {10, 10, 700}, 725, unplanned(3));
  complete(store, "c", {11, 10, 12}, 36, unplanned(3));
}

}  // namespace

// Three runs alike of 3 epochs, two of them slowed by other work on the machine for some epochs:
//   a: 10, 500, 600 s (wall 1112: 2 s outside epochs)   b: 10, 10, 700 (wall 725: 5 s)
//   c: 11, 10, 12 (wall 36: 3 s)
// Pooled epochs sorted: 10 10 10 10 [11] 12 500 600 700, median 11; outside epochs median 3.
// So 3 epochs: 3 * 11 + 3 = 36 s and 10 epochs: 113 s, where the median of the runs' wall times
// would say 725 s. Worked by hand.
TEST(CostEstimate, IsTheMedianEpochOfRunsAlikePooledTimesTheEpochs) {
  dfkd::test_support::TempDir dir;
  ResultsStore store(dir.path() / "results.db");
  complete_three_alike(store);
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3)), 36.0);
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(10)), 113.0);
  // A run planned but not completed adds nothing.
  plan_like(store, "planned", unplanned(3));
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3)), 36.0);
  EXPECT_TRUE(
      std::isnan(CostEstimate(store).seconds(unplanned(3, json::array(), "Fashion-MNIST"))));
  auto other_budget = unplanned(3);
  other_budget.config["train"]["batch_size"] = 16;
  EXPECT_TRUE(std::isnan(CostEstimate(store).seconds(other_budget)));
}

// A regularizer makes its own kind of run (its weight does not): one at 20 s an epoch (wall 61)
// estimates its kind at 3 * 20 + 1 = 61 s, whatever the weight, and leaves the runs without it
// at 36 s. A regularizer nothing alike has run with takes every run of the method: pooled epochs
// 10 10 10 10 11 [12 20] 20 20 500 600 700, median 16; outside epochs 1 [2 3] 5, median 2.5:
// 3 * 16 + 2.5 = 50.5 s. Worked by hand.
TEST(CostEstimate, RegularizersWithTheirOptionsButNotTheirWeightsMakeAKind) {
  dfkd::test_support::TempDir dir;
  ResultsStore store(dir.path() / "results.db");
  complete_three_alike(store);
  complete(store, "r", {20, 20, 20}, 61, unplanned(3, regularizer(0.1, "logits")));
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3, regularizer(1.0, "logits"))), 61.0);
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3)), 36.0);
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3, regularizer(0.1, "features"))), 50.5);
}

// A run recorded before epoch_seconds existed counts as its wall time spread evenly over its
// epochs: 80 s over 4 epochs is 20 s an epoch, so 6 epochs: 120 s.
TEST(CostEstimate, ARunWithoutEpochTimesSpreadsItsWallTime) {
  dfkd::test_support::TempDir dir;
  ResultsStore store(dir.path() / "results.db");
  complete(store, "old", {}, 80, unplanned(4, json::array(), "old"));
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(6, json::array(), "old")), 120.0);
}

// Labels are padded by characters, as fmt pads UTF-8: α is one column, not two bytes.
TEST(DisplayWidth, CountsCharactersNotBytes) {
  EXPECT_EQ(dfkd::host::display_width(""), 0u);
  EXPECT_EQ(dfkd::host::display_width("VI alpha=0.2"), 12u);
  EXPECT_EQ(dfkd::host::display_width("w=0.1 α=0.2"), 11u);
  EXPECT_EQ(dfkd::host::display_width("−0.13"), 5u);
}
