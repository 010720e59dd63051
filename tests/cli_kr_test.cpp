// Knowledge Representing end to end: E3's file in its smoke profile trains the aggregator beside
// the student (its loss is in the store) and the ablation rows resolve to the penalties they name;
// a KR run killed mid-way resumes to exactly the uninterrupted run's numbers.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace {

using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;
using json = nlohmann::json;

const std::string kExperimentFile =
    std::string(DFKD_SOURCE_DIR) + "/experiments/knowledge_representing.json";

TEST_F(CliTest, KnowledgeRepresentingSmokeTrainsAggregatorAndStudent) {
  const auto r = cli("run '" + kExperimentFile +
                     "' --profile smoke --dataset Fashion-MNIST --only 'KR,KR without Ψ,KR + KD' "
                     "--no-table " +
                     db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  std::map<std::string, std::string> penalty;
  for (const auto& run : store.runs("knowledge_representing")) {
    EXPECT_EQ(run.status, RunStatus::Completed) << run.row << ": " << run.error;
    if (run.role != "student") continue;
    penalty[run.row] = run.config.at("method").at("options").at("penalty");
    const auto q =
        cli("query \"SELECT count(*) AS n FROM metric m JOIN run r USING(run_id) WHERE "
            "r.run_id = '" +
            run.run_id + "' AND m.key = 'loss_aggregator'\" --format csv " + db_arg());
    ASSERT_EQ(q.exit_code, 0) << q.output;
    EXPECT_EQ(q.output.find("\n0\n"), std::string::npos) << run.row << ": no aggregator loss\n"
                                                         << q.output;
    // The engine's sparsity measure, for every convolutional student.
    const auto z =
        cli("query \"SELECT min(value) >= 0 AND max(value) <= 1 AS ok, count(*) AS n FROM "
            "metric WHERE run_id = '" +
            run.run_id + "' AND key = 'conv_weights_near_zero'\" --format csv " + db_arg());
    EXPECT_NE(z.output.find("\n1,1\n"), std::string::npos) << run.row << "\n" << z.output;
  }
  EXPECT_EQ(penalty["KR"], "psi");
  EXPECT_EQ(penalty["KR without Ψ"], "l2");
  EXPECT_EQ(penalty["KR + KD"], "psi");
}

// The aggregator and its adapters are the method's own modules: a resumed run must bring back
// their state and compute in their layout (NCHW; the student is channels_last). Converting them
// on resume only changed the aggregator's loss in the 9th digit, so every logged value is
// compared exactly.
TEST_F(CliTest, KnowledgeRepresentingResumesToTheUninterruptedResult) {
  std::ifstream in(kExperimentFile);
  auto e = json::parse(in);
  auto& smoke = e["profiles"]["smoke"];
  smoke["datasets"] = {"Fashion-MNIST"};
  // 1,000 images, 31 batches an epoch: epochs long enough to be killed in the middle of the run.
  smoke["columns"]["Fashion-MNIST"]["dataset"]["options"]["train_per_class"] = 100;
  smoke["rows"]["KR without Ψ"]["train"] = {{"epochs", 8}, {"batch_size", 32}};
  const auto args = "run '" + write_experiment(e) +
                    "' --profile smoke --only 'KR without Ψ' --jobs 1 --threads 1 --no-table ";
  const auto series = [](const std::filesystem::path& db) {
    ResultsStore store(db, ResultsStore::Mode::ReadOnly);
    std::map<std::string, std::vector<double>> out;
    for (const auto& run : store.runs("knowledge_representing")) {
      if (run.row != "KR without Ψ") continue;
      EXPECT_EQ(run.status, RunStatus::Completed) << run.error;
      for (const char* key : {"loss_aggregator", "loss_kr", "loss_student", "test_accuracy"})
        for (const auto& p : store.metric_series(run.run_id, key)) out[key].push_back(p.value);
    }
    return out;
  };
  const auto whole = dir_ / "uninterrupted.db";
  const auto r = cli(args + "--db '" + whole.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = series(whole);
  ASSERT_EQ(expected.at("loss_aggregator").size(), 8u);

  const pid_t child = start_in_background(args + db_arg(), "first.log");
  ASSERT_GE(child, 0);
  const bool mid_run = wait_until(
      [&] {
        return count_runs(
                   "KR without Ψ",
                   [](const auto& run) {
                     return run.status == RunStatus::Running && run.epochs_done >= 2;
                   },
                   "knowledge_representing") > 0;
      },
      2400);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(mid_run) << "the KR run never reached epoch 2 while running";
  const auto second = cli(args + db_arg());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("resumed from the epoch"), std::string::npos) << second.output;
  const auto resumed = series(db_);
  for (const auto& [key, want] : expected) {
    ASSERT_EQ(resumed.at(key).size(), want.size()) << key;
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_EQ(resumed.at(key)[i], want[i]) << key << " of epoch " << i + 1;
  }
}

}  // namespace
