// The plan's and `dfkd status`'s cost estimate: the median wall time of comparable completed runs.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

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

json config(int epochs) {
  auto j = json::parse(R"({
    "profile": "cpu", "role": "student", "seed": 0,
    "dataset": {"plugin": "two_moons", "version": "1.0.0", "options": {}, "source": null},
    "model": {"plugin": "mlp", "version": "1.0.0", "options": {}},
    "method": {"plugin": "dfad", "version": "1.0.0", "options": {}},
    "generator": null, "regularizers": [], "teacher": null,
    "train": {"epochs": 3, "iterations_per_epoch": 50, "batch_size": 8, "eval_batch_size": 64,
              "lr_schedule": {"type": "constant"}, "save_generated": 0}})");
  j["train"]["epochs"] = epochs;
  return j;
}

RunPlan plan(const std::string& key, int epochs = 3) {
  RunPlan p;
  p.run_key = key;
  p.experiment = "study";
  p.row = "DFAD";
  p.column = "MNIST";
  p.profile = "cpu";
  p.role = "student";
  p.method = "dfad";
  p.config = config(epochs);
  return p;
}

void complete(ResultsStore& store, const std::string& key, double seconds, int epochs = 3) {
  const auto id = store.plan_run(plan(key, epochs)).run_id;
  ASSERT_TRUE(store.claim_run(id, ""));
  store.complete_run(id, {}, seconds);
}

RunRecord unplanned(int epochs) {
  RunRecord r;
  r.profile = "cpu";
  r.column = "MNIST";
  r.role = "student";
  r.method = "dfad";
  r.config = config(epochs);
  return r;
}

}  // namespace

// Three comparable runs of 100, 110 and 5,000 s (one slowed by other work): the estimate is their
// median, 110, where the mean (1,736.7) would triple the plan. An even count takes the mean of the
// middle two: with 120 added, (110 + 120) / 2 = 115.
TEST(CostEstimate, IsTheMedianOfComparableCompletedRuns) {
  dfkd::test_support::TempDir dir;
  ResultsStore store(dir.path() / "results.db");
  complete(store, "a", 100);
  complete(store, "b", 5000);
  complete(store, "c", 110);
  complete(store, "other budget", 7, /*epochs=*/4);
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3)), 110.0);
  complete(store, "d", 120);
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3)), 115.0);
  // A run planned but not completed adds nothing; a different budget is its own estimate.
  store.plan_run(plan("e"));
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(3)), 115.0);
  EXPECT_DOUBLE_EQ(CostEstimate(store).seconds(unplanned(4)), 7.0);
  EXPECT_TRUE(std::isnan(CostEstimate(store).seconds(unplanned(5))));
  auto other_column = unplanned(3);
  other_column.column = "Fashion-MNIST";
  EXPECT_TRUE(std::isnan(CostEstimate(store).seconds(other_column)));
}

// Labels are padded by characters, as fmt pads UTF-8: α is one column, not two bytes.
TEST(DisplayWidth, CountsCharactersNotBytes) {
  EXPECT_EQ(dfkd::host::display_width(""), 0u);
  EXPECT_EQ(dfkd::host::display_width("VI alpha=0.2"), 12u);
  EXPECT_EQ(dfkd::host::display_width("w=0.1 α=0.2"), 11u);
  EXPECT_EQ(dfkd::host::display_width("−0.13"), 5u);
}
