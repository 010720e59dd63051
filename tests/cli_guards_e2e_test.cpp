// End-to-end (the dfkd executable): inputs that used to crash or hang it (issue 13). A deep JSON
// experiment, a truncated plugin on the search path, `dfkd query` on endless SQL: each ends
// with a message and a documented exit code. Every command runs under `timeout -s KILL`, so a
// regression fails the test instead of hanging it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include "store/results_store.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
  int exit_code = -1;  ///< -1: killed by a signal (a crash)
  std::string out, err;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr const char* kEndlessRows =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c";
constexpr const char* kEndlessCount =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c";

class CliGuards : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    db_ = dir_ / "results.db";
  }

  /// `env dfkd ARGS` in the test directory, stdout and stderr apart, killed after 120 s.
  Result cli(const std::string& args, const std::string& env = "") const {
    const auto cmd = "cd '" + dir_.string() + "' && " + env + " timeout -s KILL 120 '" +
                     DFKD_BINARY + "' " + args + " > out.txt 2> err.txt";
    const int status = std::system(cmd.c_str());
    Result r;
    // timeout(1) reports a killed child as 128 + 9; the shell reports a crash as 128 + signal.
    r.exit_code = WIFEXITED(status) && WEXITSTATUS(status) < 128 ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir_ / "out.txt");
    r.err = slurp(dir_ / "err.txt");
    return r;
  }
  std::string db_arg() const { return "--db '" + db_.string() + "'"; }
  void create_store() const { dfkd::host::ResultsStore store(db_); }

  dfkd::test_support::TempDir temp_{"dfkd_guards_e2e_"};
  fs::path dir_, db_;
};

std::string nested_arrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST_F(CliGuards, DeepExperimentIsAConfigErrorNotACrash) {
  std::ifstream in(std::string(DFKD_SOURCE_DIR) + "/experiments/two_moons.json");
  auto source = nlohmann::json::parse(in);
  // An option value 100,000 deep: before the depth limit, SIGSEGV in a recursive copy/dump.
  source["rows"][2]["method"]["options"]["student_lr"] = "PLACEHOLDER";
  std::string text = source.dump(2);
  text.replace(text.find("\"PLACEHOLDER\""), 13, nested_arrays(100000));
  std::ofstream(dir_ / "deep.json") << text;
  for (const std::string cmd :
       {"run deep.json --dry-run " + db_arg(), std::string("models deep.json")}) {
    const auto r = cli(cmd);
    EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("dfkd: configuration error: deep.json: line "), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("nesting: expected at most 64 levels of arrays and objects, found more at "
                         "rows[2].method.options.student_lr...(57 more)...[0][0]"),
              std::string::npos)
        << r.err;
  }
}

TEST_F(CliGuards, TruncatedPluginIsALoadFailureAndTheOthersStillLoad) {
  fs::path plugin;
  for (const auto& e : fs::recursive_directory_iterator(DFKD_PLUGIN_DIR))
    if (e.path().extension() == ".so") plugin = e.path();
  ASSERT_FALSE(plugin.empty());
  // What an interrupted build leaves behind: the first 4 KiB of the library.
  fs::create_directories(dir_ / "extra");
  const fs::path truncated = dir_ / "extra" / "libhalf.so";
  std::ofstream(truncated, std::ios::binary) << slurp(plugin).substr(0, 4096);
  const std::string env = "DFKD_PLUGIN_PATH='" + (dir_ / "extra").string() + "'";

  auto r = cli("plugins", env);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;  // the others are listed; the refusal is an error
  EXPECT_NE(r.out.find("two_moons"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("not loaded: plugin '" + truncated.string() +
                       "': file: truncated: the file is 4096 bytes but its "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("was the build interrupted? rebuild the plugin"), std::string::npos)
      << r.err;

  r = cli("plugins --json", env);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("failures").size(), 1u) << r.out;
  EXPECT_EQ(j["failures"][0].at("file"), truncated.string());
  EXPECT_EQ(j["failures"][0].at("status"), "bad_file");
  EXPECT_GE(j.at("plugins").size(), 8u);

  // Other commands warn and carry on.
  r = cli("run '" + std::string(DFKD_SOURCE_DIR) +
              "/experiments/two_moons.json' --profile smoke --dry-run " + db_arg(),
          env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("dfkd: warning: plugin not loaded: "), std::string::npos) << r.err;
}

TEST_F(CliGuards, QueryTimeoutStopsAnEndlessQuery) {
  create_store();
  const auto r = cli(std::string("query \"") + kEndlessCount + "\" --timeout 1 " + db_arg());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "| count(*) |\n|---|\n");
  EXPECT_NE(
      r.err.find("dfkd query: stopped after 1 s (--timeout 1) with 0 rows printed; the output is "
                 "incomplete"),
      std::string::npos)
      << r.err;
}

TEST_F(CliGuards, QueryLimitPrintsThatManyRowsAndSaysSo) {
  create_store();
  auto r = cli(std::string("query \"") + kEndlessRows + "\" --limit 5 --format csv " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "x\n1\n2\n3\n4\n5\n");
  EXPECT_EQ(
      r.err,
      "dfkd query: stopped after 5 rows (--limit 5); raise --limit (0 = no limit) or add LIMIT "
      "to the SQL\n");

  r = cli(std::string("query \"") + kEndlessRows + "\" --limit 3 " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "| x |\n|---|\n| 1 |\n| 2 |\n| 3 |\n");

  // JSON stays one valid array when cut.
  r = cli(std::string("query \"") + kEndlessRows + "\" --limit 3 --format json " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json::parse(R"([{"x": 1}, {"x": 2}, {"x": 3}])"));
  EXPECT_NE(r.err.find("stopped after 3 rows (--limit 3)"), std::string::npos);

  // The default limit applies without --limit; a result within the limit has no note.
  r = cli(std::string("query \"") + kEndlessRows + "\" --format csv " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped after 10000 rows (--limit 10000)"), std::string::npos) << r.err;
  r = cli("query 'SELECT 1 AS a UNION ALL SELECT 2' --limit 2 --format json " + db_arg());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[\n  {\n    \"a\": 1\n  },\n  {\n    \"a\": 2\n  }\n]\n");
  EXPECT_EQ(r.err, "");
  r = cli("query 'SELECT 1 AS a WHERE 0' --format json " + db_arg());
  EXPECT_EQ(r.out, "[]\n");
}

TEST_F(CliGuards, SigintStopsARunningQuery) {
  create_store();
  const auto cmd = "cd '" + dir_.string() + "' && exec '" + DFKD_BINARY + "' query \"" +
                   kEndlessCount + "\" --timeout 0 " + db_arg() + " > out.txt 2> err.txt";
  const pid_t child = fork();
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(child, 0);
  // Wait (bounded) until dfkd catches SIGINT (the query installs its handler just before it
  // starts): /proc/PID/status SigCgt has bit SIGINT - 1.
  auto catches_sigint = [&] {
    std::error_code ec;  // still the shell before its exec?
    if (fs::read_symlink("/proc/" + std::to_string(child) + "/exe", ec).filename() != "dfkd")
      return 0ull;
    std::ifstream in("/proc/" + std::to_string(child) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("SigCgt:", 0) == 0)
        return (std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) & 1;
    return 0ull;
  };
  for (int i = 0; i < 200 && !catches_sigint(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // into the query
  ASSERT_EQ(kill(child, SIGINT), 0);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 400 && (done = waitpid(child, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (done == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    FAIL() << "dfkd query did not stop within 20 s of SIGINT";
  }
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal "
                                 << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto err = slurp(dir_ / "err.txt");
  EXPECT_EQ(err, "dfkd query: interrupted after 0 rows printed; the output is incomplete\n");
}

}  // namespace
