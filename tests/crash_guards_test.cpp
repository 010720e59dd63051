// Inputs that used to crash dfkd: JSON nested 100,000 deep (SIGSEGV in nlohmann's recursive
// copy). Issue 13.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "config/json_parse.hpp"
#include "dfkd/errors.hpp"
#include "slurm/sweep.hpp"
#include "store/results_store.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using dfkd::ConfigError;
using dfkd::host::kJsonDepthLimit;
using dfkd::host::parse_json_limited;
using dfkd::host::ResultsStore;
using nlohmann::json;

namespace {

::testing::AssertionResult contains_all(const std::string& text,
                                        std::initializer_list<std::string> parts) {
  for (const auto& part : parts)
    if (text.find(part) == std::string::npos)
      return ::testing::AssertionFailure() << "missing \"" << part << "\" in:\n  " << text;
  return ::testing::AssertionSuccess();
}

template <class F>
std::string config_error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

/// A fresh directory per test, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dfkd_guards_" + dfkd::host::random_id());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) const {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }

  fs::path dir_;
};

// ==== JSON nesting depth ====

TEST(JsonDepth, EveryShippedExperimentIsWellUnderTheLimit) {
  for (const auto& entry : fs::directory_iterator(fs::path(DFKD_SOURCE_DIR) / "experiments")) {
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(dfkd::host::find_json_depth_excess(text, 16).found) << entry.path();
    EXPECT_EQ(parse_json_limited(text, entry.path().string()), json::parse(text));
  }
}

TEST(JsonDepth, TheLimitItselfParsesOneMoreLevelIsRefused) {
  EXPECT_EQ(parse_json_limited(nested_arrays(kJsonDepthLimit), "x.json"),
            json::parse(nested_arrays(kJsonDepthLimit)));
  const auto msg = config_error_of([] { parse_json_limited(nested_arrays(kJsonDepthLimit + 1), "x.json"); });
  EXPECT_TRUE(contains_all(msg, {"x.json: line 1, column 65: nesting: expected at most 64 levels of "
                                 "arrays and objects, found more at [0][0][0][0][0]...(57 more)...[0][0]",
                                 "flatten or remove that value"}));
}

TEST(JsonDepth, A100kDeepValueIsAConfigErrorNamingLineColumnAndPath) {
  const std::string text = "{\n  \"experiment\": \"deep\",\n  \"description\": " + nested_arrays(100000) + "\n}\n";
  const auto msg = config_error_of([&] { parse_json_limited(text, "deep.json"); });
  EXPECT_TRUE(contains_all(msg, {"deep.json: line 3, column 81: nesting: expected at most 64 levels",
                                 "found more at description[0][0][0][0]...(57 more)...[0][0]"}));
  // Unbalanced (no closing brackets at all): still the depth error, not a crash.
  EXPECT_TRUE(contains_all(config_error_of([] { parse_json_limited(std::string(100000, '{'), "o.json"); }),
                           {"o.json: line 1, column 65"}));
}

TEST(JsonDepth, PathNamesObjectKeysAndArrayIndexes) {
  const std::string deep = "{\"a\": [1, {\"x\": [2], \"b c\": " + nested_arrays(70) + "}]}";
  const auto excess = dfkd::host::find_json_depth_excess(deep, 8);
  ASSERT_TRUE(excess.found);
  EXPECT_EQ(excess.path, "a[1][\"b c\"][0][0][0][0][0]");
  EXPECT_FALSE(dfkd::host::find_json_depth_excess("{\"x\": {\"y\": [[1]]}}", 4).found);
  EXPECT_EQ(dfkd::host::find_json_depth_excess("{\"x\": {\"y\": [[1]]}}", 3).path, "x.y[0]");
}

TEST(JsonDepth, BracketsInsideStringsDoNotCount) {
  const std::string text = R"({"s": ")" + std::string(200, '[') + R"(\"[[[", "t": "{{{\\"})";
  EXPECT_EQ(parse_json_limited(text, "s.json").at("t"), "{{{\\");
}

TEST(JsonDepth, SyntaxErrorsStillComeFromTheParser) {
  EXPECT_THROW(parse_json_limited("{\"a\": [1, 2", "x.json"), json::parse_error);
}

class JsonDepthFiles : public TempDir {};

TEST_F(JsonDepthFiles, LoadExperimentRefusesADeepOptionValue) {
  std::ifstream in(fs::path(DFKD_SOURCE_DIR) / "experiments" / "two_moons.json");
  auto source = json::parse(in);
  source["rows"][2]["method"]["options"]["lr_student"] = "PLACEHOLDER";
  std::string text = source.dump(2);
  const std::string placeholder = "\"PLACEHOLDER\"";
  text.replace(text.find(placeholder), placeholder.size(), nested_arrays(100000));
  const auto file = write("deep.json", text);
  const auto msg = config_error_of([&] { dfkd::host::load_experiment(file, ""); });
  EXPECT_TRUE(contains_all(msg, {file.string() + ": line ", "nesting: expected at most 64 levels",
                                 "found more at rows[2].method.options.lr_student...(57 more)...[0][0]"}));
}

TEST_F(JsonDepthFiles, StoredDefinitionNestedTooDeepIsAConfigErrorNamingTheStore) {
  const auto db = dir_ / "results.db";
  {
    ResultsStore store(db);
    store.upsert_experiment("deep", "Deep", json{{"experiment", "deep"}});
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  const std::string sql =
      "UPDATE experiment SET definition_json = '" + nested_arrays(100000) + "' WHERE name = 'deep'";
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  ResultsStore store(db, ResultsStore::Mode::ReadOnly);
  const auto msg = config_error_of([&] { store.experiment_definition("deep"); });
  EXPECT_TRUE(contains_all(msg, {"results store '" + db.string() + "'", "experiment 'deep' definition_json",
                                 "expected at most 128 levels"}));
}

TEST_F(JsonDepthFiles, SweepManifestNestedTooDeepIsAConfigError) {
  write("manifest.json", "{\"experiment_definition\": " + nested_arrays(100000) + "}");
  write("tasks.jsonl", "");
  const auto msg = config_error_of([&] { dfkd::host::Sweep::open(dir_); });
  EXPECT_TRUE(contains_all(msg, {(dir_ / "manifest.json").string(), "expected at most 128 levels",
                                 "experiment_definition[0]"}));
}

}  // namespace
