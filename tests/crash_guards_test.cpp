// Inputs that used to crash or hang dfkd: JSON nested 100,000 deep (SIGSEGV in nlohmann's
// recursive copy), truncated plugin libraries (SIGBUS in dlopen), endless SQL (no bound on rows
// or time). Issue 13.
#include <elf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "config/json_parse.hpp"
#include "dfkd/errors.hpp"
#include "loader/elf_check.hpp"
#include "loader/plugin_host.hpp"
#include "slurm/sweep.hpp"
#include "store/results_store.hpp"
#include "support/expect_throw.hpp"
#include "support/temp_dir.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using dfkd::ConfigError;
using dfkd::host::check_elf_library;
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

/// The ConfigError `f` throws; "" (which contains none of the expected parts) if it throws none.
template <class F>
std::string config_error_of(F&& f) {
  return dfkd::test_support::message_of<ConfigError>(std::forward<F>(f));
}

std::string nested_arrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

/// A fresh directory per test, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& bytes) const {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }

  dfkd::test_support::TempDir temp_{"dfkd_guards_"};
  fs::path dir_ = temp_.path();
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
  const auto msg =
      config_error_of([] { parse_json_limited(nested_arrays(kJsonDepthLimit + 1), "x.json"); });
  EXPECT_TRUE(
      contains_all(msg, {"x.json: line 1, column 65: nesting: expected at most 64 levels of "
                         "arrays and objects, found more at [0][0][0][0][0]...(57 more)...[0][0]",
                         "flatten or remove that value"}));
}

TEST(JsonDepth, A100kDeepValueIsAConfigErrorNamingLineColumnAndPath) {
  const std::string text =
      "{\n  \"experiment\": \"deep\",\n  \"description\": " + nested_arrays(100000) + "\n}\n";
  const auto msg = config_error_of([&] { parse_json_limited(text, "deep.json"); });
  EXPECT_TRUE(
      contains_all(msg, {"deep.json: line 3, column 81: nesting: expected at most 64 levels",
                         "found more at description[0][0][0][0]...(57 more)...[0][0]"}));
  // Unbalanced (no closing brackets at all): still the depth error, not a crash.
  EXPECT_TRUE(
      contains_all(config_error_of([] { parse_json_limited(std::string(100000, '{'), "o.json"); }),
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
  source["rows"][2]["method"]["options"]["student_lr"] = "PLACEHOLDER";
  std::string text = source.dump(2);
  const std::string placeholder = "\"PLACEHOLDER\"";
  text.replace(text.find(placeholder), placeholder.size(), nested_arrays(100000));
  const auto file = write("deep.json", text);
  const auto msg = config_error_of([&] { dfkd::host::load_experiment(file, ""); });
  EXPECT_TRUE(
      contains_all(msg, {file.string() + ": line ", "nesting: expected at most 64 levels",
                         "found more at rows[2].method.options.student_lr...(57 more)...[0][0]"}));
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
  EXPECT_TRUE(
      contains_all(msg, {"results store '" + db.string() + "'", "experiment 'deep' definition_json",
                         "expected at most 128 levels"}));
}

TEST_F(JsonDepthFiles, SweepManifestNestedTooDeepIsAConfigError) {
  write("manifest.json", "{\"experiment_definition\": " + nested_arrays(100000) + "}");
  write("tasks.jsonl", "");
  const auto msg = config_error_of([&] { dfkd::host::Sweep::open(dir_); });
  EXPECT_TRUE(contains_all(msg, {(dir_ / "manifest.json").string(), "expected at most 128 levels",
                                 "experiment_definition[0]"}));
}

// ==== ELF check before dlopen ====

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A real plugin library of this build.
fs::path some_plugin() {
  for (const auto& e : fs::recursive_directory_iterator(DFKD_PLUGIN_DIR))
    if (e.path().extension() == ".so") return e.path();
  return {};
}

class ElfCheck : public TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    plugin_ = some_plugin();
    ASSERT_FALSE(plugin_.empty()) << "no plugin built under " << DFKD_PLUGIN_DIR;
    bytes_ = read_bytes(plugin_);
    ASSERT_GE(bytes_.size(), sizeof(Elf64_Ehdr));
    std::memcpy(&eh_, bytes_.data(), sizeof eh_);
  }
  /// check_elf_library() of `bytes` written to a file; "" when it passes.
  std::string problem(const std::string& bytes) const {
    const auto r = check_elf_library(write("lib.so", bytes));
    return r ? *r : std::string();
  }
  /// The end of the last PT_LOAD segment's file bytes.
  uint64_t segments_end() const {
    uint64_t end = 0;
    for (size_t i = 0; i < eh_.e_phnum; ++i) {
      Elf64_Phdr p;
      std::memcpy(&p, bytes_.data() + eh_.e_phoff + i * sizeof p, sizeof p);
      if (p.p_type == PT_LOAD) end = std::max<uint64_t>(end, p.p_offset + p.p_filesz);
    }
    return end;
  }

  fs::path plugin_;
  std::string bytes_;
  Elf64_Ehdr eh_{};
};

TEST_F(ElfCheck, EveryBuiltPluginPasses) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(DFKD_PLUGIN_DIR))
    if (e.path().extension() == ".so") {
      EXPECT_EQ(check_elf_library(e.path()), std::nullopt) << e.path();
      ++n;
    }
  EXPECT_GT(n, 5);
  EXPECT_EQ(problem(bytes_), "");
}

TEST_F(ElfCheck, NotElfAndEmptyFiles) {
  EXPECT_TRUE(contains_all(problem("not an ELF file\n"),
                           {"expected an ELF shared library (starting 7f 45 4c 46), found a file "
                            "starting 6e 6f 74 20",
                            "move this file out of"}));
  EXPECT_TRUE(contains_all(problem(""), {"found an empty file", "was the build interrupted?"}));
  EXPECT_TRUE(contains_all(problem("\x7f"
                                   "E"),
                           {"found a file starting 7f 45"}));
}

TEST_F(ElfCheck, TruncatedHeader) {
  EXPECT_EQ(problem(bytes_.substr(0, 10)),
            "truncated: the file is 10 bytes but its ELF header needs 64; was the build "
            "interrupted? rebuild the plugin (or move this file out of the plugin search path)");
  EXPECT_TRUE(contains_all(problem(bytes_.substr(0, 40)),
                           {"truncated: the file is 40 bytes but its ELF header needs 64"}));
}

TEST_F(ElfCheck, TruncatedProgramHeaders) {
  const uint64_t need = eh_.e_phoff + uint64_t(eh_.e_phnum) * sizeof(Elf64_Phdr);
  const size_t cut = eh_.e_phoff + sizeof(Elf64_Phdr) + 3;
  EXPECT_TRUE(
      contains_all(problem(bytes_.substr(0, cut)),
                   {fmt::format("truncated: the file is {} bytes but its program headers need {}; "
                                "was the build interrupted? rebuild the plugin",
                                cut, need)}));
}

TEST_F(ElfCheck, TruncatedSegment) {
  // What an interrupted build leaves: the first 4 KiB (headers intact, segments cut).
  ASSERT_GT(segments_end(), 4096u);
  EXPECT_TRUE(
      contains_all(problem(bytes_.substr(0, 4096)),
                   {"truncated: the file is 4096 bytes but its loadable segment (program header ",
                    "PT_LOAD at offset", "was the build interrupted? rebuild the plugin"}));
  // One byte short of the last segment's end.
  const auto cut = segments_end() - 1;
  EXPECT_TRUE(contains_all(problem(bytes_.substr(0, cut)),
                           {fmt::format("the file is {} bytes but its loadable segment", cut),
                            fmt::format("needs {};", cut + 1)}));
}

TEST_F(ElfCheck, TruncatedSectionHeaders) {
  ASSERT_GE(eh_.e_shoff, segments_end());  // section headers at the end, as linkers write them
  const uint64_t need = eh_.e_shoff + uint64_t(eh_.e_shnum) * sizeof(Elf64_Shdr);
  EXPECT_EQ(need, bytes_.size());
  EXPECT_TRUE(
      contains_all(problem(bytes_.substr(0, bytes_.size() - 1)),
                   {fmt::format("truncated: the file is {} bytes but its section headers need {}",
                                bytes_.size() - 1, need)}));
}

TEST_F(ElfCheck, WrongClassMachineOrType) {
  std::string b = bytes_;
  b[EI_CLASS] = ELFCLASS32;
  EXPECT_TRUE(contains_all(
      problem(b), {"ELF class: expected ELF64 (64-bit) like this dfkd, found ELF32 (32-bit)"}));
  b = bytes_;
  b[EI_DATA] = ELFDATA2MSB;
  EXPECT_TRUE(contains_all(
      problem(b), {"byte order: expected little-endian like this dfkd, found big-endian"}));
  b = bytes_;
  Elf64_Ehdr eh = eh_;
  eh.e_machine = eh_.e_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  std::memcpy(b.data(), &eh, sizeof eh);
  EXPECT_TRUE(contains_all(problem(b), {"machine: expected ", "like this dfkd, found ",
                                        "rebuild the plugin for this machine"}));
  eh = eh_;
  eh.e_type = ET_REL;
  std::memcpy(b.data(), &eh, sizeof eh);
  EXPECT_TRUE(contains_all(
      problem(b),
      {"ELF type: expected a shared library (ET_DYN), found a relocatable object file (.o)"}));
}

TEST_F(ElfCheck, PluginHostRefusesATruncatedLibraryAndLoadsTheOthers) {
  const auto truncated = write("libtruncated.so", bytes_.substr(0, 4096));
  dfkd::host::PluginHost host;
  host.load_all({dir_, DFKD_PLUGIN_DIR});
  ASSERT_EQ(host.failures().size(), 1u);
  const auto& f = host.failures()[0];
  EXPECT_EQ(f.status, dfkd::host::LoadStatus::BadFile);
  EXPECT_STREQ(dfkd::host::to_string(f.status), "bad_file");
  EXPECT_TRUE(contains_all(f.message, {"plugin '" + truncated.string() +
                                           "': file: truncated: the "
                                           "file is 4096 bytes but its ",
                                       "rebuild the plugin"}));
  EXPECT_GT(host.plugins().size(), 5u);
}

// ==== dfkd query: streamed, bounded by rows, time and cancellation ====

constexpr const char* kEndlessRows =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c";
constexpr const char* kEndlessCount =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c";

class StreamingQuery : public TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    ResultsStore create(dir_ / "results.db");
  }
  ResultsStore::QueryEnd run(const std::string& sql, const ResultsStore::QueryLimits& limits) {
    ResultsStore store(dir_ / "results.db", ResultsStore::Mode::ReadOnly);
    return store.query(
        sql, limits, [&](const std::vector<std::string>& c) { columns_ = c; },
        [&](const std::vector<json>& row) { rows_.push_back(row); });
  }
  std::vector<std::string> columns_;
  std::vector<std::vector<json>> rows_;
};

TEST_F(StreamingQuery, RowLimitStopsAnEndlessCte) {
  ResultsStore::QueryLimits limits;
  limits.max_rows = 5;
  EXPECT_EQ(run(kEndlessRows, limits), ResultsStore::QueryEnd::RowLimit);
  EXPECT_EQ(columns_, std::vector<std::string>{"x"});
  ASSERT_EQ(rows_.size(), 5u);
  EXPECT_EQ(rows_[4][0], 5);
}

TEST_F(StreamingQuery, ExactlyTheLimitIsDone) {
  ResultsStore::QueryLimits limits;
  limits.max_rows = 2;
  EXPECT_EQ(run("SELECT 1 AS a UNION ALL SELECT 2", limits), ResultsStore::QueryEnd::Done);
  EXPECT_EQ(rows_.size(), 2u);
}

TEST_F(StreamingQuery, TimeoutInterruptsAStepThatReturnsNoRows) {
  ResultsStore::QueryLimits limits;
  limits.timeout_seconds = 0.3;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(kEndlessCount, limits), ResultsStore::QueryEnd::Timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            std::chrono::seconds(30));  // bounded, not timed
  EXPECT_TRUE(rows_.empty());
}

TEST_F(StreamingQuery, CancellationStopsBothKindsOfQuery) {
  std::atomic<int> polls{0};
  ResultsStore::QueryLimits limits;
  limits.cancelled = [&] { return ++polls > 3; };
  EXPECT_EQ(run(kEndlessCount, limits), ResultsStore::QueryEnd::Cancelled);
  polls = 0;
  EXPECT_EQ(run(kEndlessRows, limits), ResultsStore::QueryEnd::Cancelled);
  EXPECT_LE(rows_.size(), 4u);
}

}  // namespace
