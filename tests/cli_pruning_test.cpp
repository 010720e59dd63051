// Pruning end to end: a row prunes the trained Student it starts from (init_from) and fine-tunes;
// pruned weights stay zero through training, and a run killed mid-way resumes with the masks of
// its checkpoint to exactly what an uninterrupted run gives. So does a run that prunes nothing:
// its epochs (10 batches) are shorter than a pass over the data, and the checkpoint keeps the
// pass's order and position.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"
#include "support/scoped_env.hpp"

namespace {

using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;
using dfkd::test_support::CliTest;
using dfkd::test_support::ScopedEnv;
using json = nlohmann::json;

constexpr int kEpochs = 40;

json pruning_experiment(json e) {
  e["rows"] = {
      {{"name", "Teacher"}, {"teacher", true}},
      e["rows"][1],  // Student
      {{"name", "Pruned"},
       {"init_from", "Student"},
       {"pruning",
        {{"plugin", "global_magnitude"},
         {"options", {{"fraction", 0.5}, {"include_linear", true}}}}},
       // Supervised steps with a short sleep (tests/plugins/slow/): a run still training
       // when the test kills it.
       {"method", {{"plugin", "slow_supervised"}, {"options", {{"sleep_seconds", 0.005}}}}},
       {"train", {{"epochs", kEpochs}, {"iterations_per_epoch", 10}}}}};
  e["profiles"]["smoke"].erase("rows");
  return e;
}

struct PrunedRun {
  std::vector<double> accuracy, effective_parameters;
};

PrunedRun pruned_run(const std::filesystem::path& db) {
  ResultsStore store(db, ResultsStore::Mode::ReadOnly);
  PrunedRun out;
  for (const auto& r : store.runs("two_moons")) {
    if (r.row != "Pruned") continue;
    EXPECT_EQ(r.status, RunStatus::Completed) << r.error;
    for (const auto& p : store.metric_series(r.run_id, "test_accuracy"))
      out.accuracy.push_back(p.value);
    for (const auto& p : store.metric_series(r.run_id, "effective_parameters"))
      out.effective_parameters.push_back(p.value);
  }
  return out;
}

class ResumeTest : public CliTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ResumeTest, AKilledRunResumesToTheUninterruptedResult) {
  const bool pruned = GetParam();
  const ScopedEnv plugins("DFKD_PLUGIN_PATH", DFKD_TEST_PLUGIN_DIR);
  auto e = pruning_experiment(experiment_json());
  if (!pruned) e["rows"][2].erase("pruning");
  const auto file = write_experiment(e);
  const auto args = "run '" + file + "' --profile smoke --seeds 1 --threads 1 --no-table ";

  const auto whole = dir_ / "uninterrupted.db";
  const auto r = cli(args + "--db '" + whole.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = pruned_run(whole);
  ASSERT_EQ(expected.accuracy.size(), static_cast<size_t>(kEpochs));
  // mlp [16, 16] on 2 inputs: 320 linear weights (half pruned) + 34 biases; every epoch, read
  // from the weights themselves: a pruned weight that moved would add to it.
  EXPECT_EQ(expected.effective_parameters.size(), pruned ? kEpochs : 0u);
  for (const double n : expected.effective_parameters) EXPECT_EQ(n, 354 - 160);

  const pid_t child = start_in_background(args + db_arg(), "first.log");
  ASSERT_GE(child, 0);
  const bool mid_run = wait_until(
      [&] {
        return count_runs("Pruned", [](const auto& run) {
                 return run.status == RunStatus::Running && run.epochs_done >= 2;
               }) > 0;
      },
      1200);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(mid_run) << "the Pruned run never reached epoch 2 while running";
  const auto second = cli(args + db_arg());
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(second.output.find("Pruned / two_moons / seed 0  epoch 1/"), std::string::npos)
      << "resumed, not restarted\n"
      << second.output;
  const auto resumed = pruned_run(db_);
  EXPECT_EQ(resumed.accuracy, expected.accuracy);
  EXPECT_EQ(resumed.effective_parameters, expected.effective_parameters);
}

INSTANTIATE_TEST_SUITE_P(PrunedAndUnpruned, ResumeTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Pruned" : "Unpruned"; });

TEST_F(CliTest, PruningErrorsNameWhatIsWrong) {
  const ScopedEnv plugins("DFKD_PLUGIN_PATH", DFKD_TEST_PLUGIN_DIR);
  auto e = pruning_experiment(experiment_json());
  e["rows"][2]["pruning"] = {{"plugin", "l1_filter"}, {"options", {{"fraction", 1.5}}}};
  auto r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("rows[2].pruning.options.fraction"), std::string::npos) << r.output;

  e["rows"][2]["pruning"] = {{"plugin", "no_such_pruner"}};
  r = cli("run '" + write_experiment(e) + "' --profile smoke --dry-run " + db_arg());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no pruner plugin named 'no_such_pruner'"), std::string::npos)
      << r.output;

  // An MLP has no convolution: L1 filter pruning finds nothing to prune and says so.
  e["rows"][2]["pruning"] = {{"plugin", "l1_filter"}};
  r = cli("run '" + write_experiment(e) + "' --profile smoke --seeds 1 --no-table " + db_arg());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("'l1_filter' found nothing to prune in model 'mlp'"), std::string::npos)
      << r.output;
}

}  // namespace

namespace {

// E2's file in its smoke profile: Self-Distill reads the Label row twice (weights and teacher),
// Post reads Scratch's weights and the column's teacher; both rows' prerequisites are planned
// although --only leaves them out.
TEST_F(CliTest, KdPruningSmokePlansEachPhaseFromItsRows) {
  const std::string file = std::string(DFKD_SOURCE_DIR) + "/experiments/kd_pruning.json";
  const auto r = cli("run '" + file + "' --profile smoke --dataset MNIST --only " +
                     "'L1 Self,Magnitude Post' --no-table " + db_arg());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
  std::map<std::string, dfkd::host::RunRecord> runs;
  for (const auto& run : store.runs("kd_pruning")) {
    EXPECT_EQ(run.status, RunStatus::Completed) << run.row << ": " << run.error;
    runs[run.row] = run;
  }
  ASSERT_EQ(runs.size(), 5u) << r.output;  // Teacher, Scratch, Label and the two phases
  const auto& self = runs["L1 Self"].config;
  EXPECT_EQ(self.at("init_from"), runs["Label"].run_key);
  EXPECT_EQ(self.at("teacher"), runs["Label"].run_key);
  EXPECT_EQ(self.at("pruning").at("plugin"), "l1_filter");
  const auto& post = runs["Magnitude Post"].config;
  EXPECT_EQ(post.at("init_from"), runs["Scratch"].run_key);
  EXPECT_EQ(post.at("teacher"), runs["Teacher"].run_key);

  // LeNet-5 holds 61,706 parameters (conv 156 + 2,416 + 48,120, fc 10,164 + 850). L1 prunes
  // half the filters of each convolution with their biases: 3·26 + 8·151 + 60·401 = 25,346.
  // Magnitude prunes floor(0.6 · 50,550) of the 50,550 convolution weights = 30,330.
  const auto last = [&](const std::string& row, const std::string& key) {
    return store.metric_series(runs[row].run_id, key).back().value;
  };
  EXPECT_EQ(last("L1 Self", "effective_parameters"), 61706 - 25346);
  EXPECT_EQ(last("Magnitude Post", "effective_parameters"), 61706 - 30330);
  // LeNet-5's 416,520 MACs per image (conv 150·784 + 2,400·100 + 48,000·1, fc 10,080 + 840);
  // with half of each convolution's filters: 3·25·784 + 8·150·100 + 60·400 + 10,080 + 840.
  EXPECT_EQ(last("L1 Self", "effective_macs"), 58800 + 120000 + 24000 + 10080 + 840);
  EXPECT_LT(last("Magnitude Post", "effective_macs"), 416520);
  EXPECT_GT(last("Magnitude Post", "effective_macs"), 10080 + 840);

  // A curve of any metric the runs log per epoch (a figure's "metric"): the pruned rows' effective
  // parameters, the values checked above.
  auto e = nlohmann::json::parse(std::ifstream(file));
  e["figures"] = nlohmann::json::array({{{"name", "params"},
                                         {"kind", "accuracy_over_epochs"},
                                         {"column", "MNIST"},
                                         {"metric", "effective_parameters"},
                                         {"rows", {"L1 Self", "Magnitude Post"}}}});
  const auto plot = cli("plot '" + write_experiment(e, "kd_pruning.json") +
                        "' --profile smoke --out figs " + db_arg());
  ASSERT_EQ(plot.exit_code, 0) << plot.output;
  std::stringstream csv;
  csv << std::ifstream(dir_ / "figs" / "params.csv").rdbuf();
  EXPECT_EQ(csv.str(), "row,epoch,mean,std,n\nL1 Self,1,36360,,1\nMagnitude Post,1,31376,,1\n");
  std::stringstream gp;
  gp << std::ifstream(dir_ / "figs" / "params.gp").rdbuf();
  EXPECT_NE(gp.str().find("effective_parameters over epochs on MNIST"), std::string::npos)
      << gp.str();

  // An archive keeps the weights other runs read: the teacher's, Label's (Self's teacher and
  // init_from) and Scratch's (Post's init_from), so a rerun of a phase after ingest has its inputs.
  const auto archive = dir_ / "archive";
  const auto exported =
      cli("export kd_pruning --profile smoke --out '" + archive.string() + "' " + db_arg());
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const auto manifest = nlohmann::json::parse(std::ifstream(archive / "archive.json"));
  std::map<std::string, bool> files;
  for (const auto& run : manifest.at("runs"))
    files[run.at("row").get<std::string>()] = run.at("files").get<bool>();
  EXPECT_EQ(files, (std::map<std::string, bool>{{"Teacher", true},
                                                {"Scratch", true},
                                                {"Label", true},
                                                {"L1 Self", false},
                                                {"Magnitude Post", false}}))
      << exported.output;
}

}  // namespace
