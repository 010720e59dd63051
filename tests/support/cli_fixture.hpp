#pragma once
// The fixture of the end-to-end CLI tests: a temporary directory with its own store, the dfkd
// binary run as a user would (in the foreground or in the background), and bounded waits.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "store/results_store.hpp"
#include "temp_dir.hpp"

namespace dfkd::test_support {

namespace fs = std::filesystem;
using dfkd::host::ResultsStore;
using dfkd::host::RunStatus;

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    db_ = dir_ / "results.db";
  }

  CliResult cli(const std::string& args) const {
    return shell("cd '" + dir_.string() + "' && '" + DFKD_BINARY + "' " + args + " 2>&1");
  }

  /// Runs `cmd` with /bin/sh; its stdout (redirect stderr in `cmd` to keep it) and exit code.
  static CliResult shell(const std::string& cmd) {
    CliResult r;
    FILE* pipe = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (fgets(buf.data(), buf.size(), pipe)) r.output += buf.data();
    const int status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  /// Starts `dfkd ARGS` in the test directory without waiting, output to `log` there; the pid is
  /// the dfkd process itself (exec), so a test can kill it.
  /// `env`: "NAME=value ..." set for it.
  pid_t start_in_background(const std::string& args, const std::string& log,
                            const std::string& env = "") const {
    const auto cmd = "cd '" + dir_.string() + "' && exec env " + env + " '" + DFKD_BINARY + "' " +
                     args + " > " + log + " 2>&1";
    const pid_t child = fork();
    if (child == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    return child;
  }

  /// Runs of `row` (of `experiment`, two-moons unless named) for which `pred` holds; 0 while the
  /// store does not exist or is busy.
  template <class Pred>
  int count_runs(const std::string& row, Pred pred,
                 const std::string& experiment = "two_moons") const {
    int n = 0;
    if (!fs::exists(db_)) return 0;
    try {
      ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
      for (const auto& run : store.runs(experiment))
        if (run.row == row && pred(run)) ++n;
    } catch (const std::exception&) {
    }
    return n;
  }

  /// Polls `done` every 50 ms, at most `tries` times: a bounded wait, not a timing assertion.
  template <class Done>
  static bool wait_until(Done done, int tries) {
    for (int i = 0; i < tries; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (done()) return true;
    }
    return false;
  }

  /// After a rerun: every run completed, and each run of `row` finished on its second attempt
  /// with all `epochs` logged once.
  void expect_resumed_to_completion(const std::string& row, size_t epochs) const {
    ResultsStore store(db_, ResultsStore::Mode::ReadOnly);
    for (const auto& run : store.runs("two_moons")) {
      EXPECT_EQ(run.status, RunStatus::Completed) << run.row;
      if (run.row == row) {
        EXPECT_EQ(run.attempt, 2);
        EXPECT_EQ(store.metric_series(run.run_id, "test_accuracy").size(), epochs);
      }
    }
  }

  std::string experiment() const {
    return std::string(DFKD_SOURCE_DIR) + "/experiments/two_moons.json";
  }
  std::string db_arg() const { return "--db '" + db_.string() + "'"; }

  /// The experiment's JSON, for tests that edit inside arrays (merge_patch replaces them).
  nlohmann::json experiment_json() const {
    std::ifstream in(experiment());
    return nlohmann::json::parse(in);
  }

  /// Writes `e` into the test directory as `name`; returns its path.
  std::string write_experiment(const nlohmann::json& e,
                               const std::string& name = "experiment.json") const {
    const auto file = dir_ / name;
    std::ofstream(file) << e.dump(2);
    return file.string();
  }

  /// The two-moons experiment with `patch` merged in, written into the test directory.
  std::string patched_experiment(const nlohmann::json& patch) const {
    auto e = experiment_json();
    e.merge_patch(patch);
    return write_experiment(e);
  }

  /// two_moons with a row "Slow" whose iterations sleep `seconds` (tests/plugins/slow/; start
  /// dfkd with slow_plugin_env()): a run that is still training whenever the test acts.
  std::string slow_experiment(double seconds) const {
    auto e = experiment_json();
    e["rows"] = {
        e["rows"][0],
        {{"name", "Slow"},
         {"method", {{"plugin", "slow_supervised"}, {"options", {{"sleep_seconds", seconds}}}}}}};
    e["profiles"]["smoke"].erase("rows");
    return write_experiment(e, "slow.json");
  }
  static std::string slow_plugin_env() {
    return std::string("DFKD_PLUGIN_PATH=") + DFKD_TEST_PLUGIN_DIR;
  }

  TempDir temp_{"dfkd_e2e_"};
  fs::path dir_, db_;
};

inline int count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

}  // namespace dfkd::test_support
