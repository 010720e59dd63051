// The benchmark hooks of `dfkd run`: per-iteration timings and the operator profile of one step
// (bench/*.sh read them; no timing is asserted, only that they describe the run that happened).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_fixture.hpp"

namespace {

using dfkd::test_support::CliTest;
using dfkd::test_support::count;

TEST_F(CliTest, TimeIterationsWritesOneLinePerMainLoopIteration) {
  const auto r = cli("run '" + experiment() +
                     "' --profile smoke --seeds 1 --only DFAL --no-table "
                     "--time-iterations it.jsonl --profile-ops 5 " +
                     db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir_ / "it.jsonl");
  std::map<std::string, std::vector<int64_t>> steps;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_GE(j.at("seconds").get<double>(), 0.0);
    steps[j.at("row").get<std::string>()].push_back(j.at("step").get<int64_t>());
  }
  // smoke: DFAL 2 epochs x 4 iterations; the teacher (a dependency, still named by its row) 3
  // passes over its data.
  ASSERT_EQ(steps["DFAL"].size(), 8u) << r.output;
  ASSERT_GT(steps["Teacher"].size(), 5u) << r.output;
  for (const auto& [row, list] : steps)
    for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i], static_cast<int64_t>(i)) << row;
  // Step 5 of each run is profiled: the teacher's and DFAL's.
  EXPECT_EQ(count(r.output, "by self time:"), 2) << r.output;
  EXPECT_NE(r.output.find("aten::"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("wall time of the iteration"), std::string::npos) << r.output;
}

}  // namespace
