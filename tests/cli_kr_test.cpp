// Knowledge Representing end to end: E3's file in its smoke profile trains the aggregator beside
// the student (its loss is in the store) and the ablation rows resolve to the penalties they name.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace {

using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;

TEST_F(CliTest, KnowledgeRepresentingSmokeTrainsAggregatorAndStudent) {
  const std::string file =
      std::string(DFKD_SOURCE_DIR) + "/experiments/knowledge_representing.json";
  const auto r = cli("run '" + file +
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

}  // namespace
