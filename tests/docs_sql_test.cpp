// Every SQL example in the documentation runs (issue 17): each ```sql block and each
// `dfkd query "..."` / `sqlite3 ... "..."` line of README.md, results/README.md and docs/*.md is
// executed against the store of a Table 1 smoke run laid out as the docs assume
// (results/results.db). A failure names the file and line of the example.
//
// The rules: a statement must not fail; a read statement must return rows unless its comment says
// when it has none ("(none ..."); the docs' profile 'quick' (the main job's) reads as 'smoke', the
// profile of the store here; the merge recipe (ATTACH ... INSERT) runs in the sqlite3 shell as the
// docs say, from a copy of the store into an empty one, and must copy every run.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <regex>
#include <sstream>

#include "store/results_store.hpp"
#include "support/cli_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using dfkd::host::ResultsStore;
using dfkd::test_support::CliResult;
using dfkd::test_support::CliTest;

/// One SQL example: where it is written and its text.
struct Example {
  std::string where;  ///< "results/README.md:123"
  std::string sql;
  bool shell = false;  ///< a `sqlite3 ARGS "..."` line: run as written, in a shell
};

std::string read_text(const fs::path& f) {
  std::ifstream in(f);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int line_at(const std::string& text, size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

bool looks_like_sql(const std::string& s) {
  static const std::regex start(R"(^\s*(SELECT|WITH|PRAGMA|EXPLAIN)\b)", std::regex::icase);
  return std::regex_search(s, start);
}

/// The examples of one Markdown file, in order.
std::vector<Example> examples_in(const fs::path& file, const std::string& name) {
  const std::string text = read_text(file);
  std::vector<Example> out;
  static const std::regex fence(R"(```sql\n([\s\S]*?)```)");
  for (std::sregex_iterator it(text.begin(), text.end(), fence), end; it != end; ++it)
    out.push_back({name + ":" + std::to_string(line_at(text, it->position(1))), (*it)[1]});
  static const std::regex query(R"(dfkd query "([^"]*)\")");
  for (std::sregex_iterator it(text.begin(), text.end(), query), end; it != end; ++it)
    if (looks_like_sql((*it)[1]))  // not a placeholder such as "SQL"
      out.push_back({name + ":" + std::to_string(line_at(text, it->position())), (*it)[1]});
  static const std::regex shell(R"(sqlite3 [^"`\n]*"[^"\n]*\")");
  for (std::sregex_iterator it(text.begin(), text.end(), shell), end; it != end; ++it)
    if (it->str().find("...") == std::string::npos)  // not a placeholder
      out.push_back({name + ":" + std::to_string(line_at(text, it->position())), it->str(), true});
  return out;
}

std::vector<Example> documented_examples() {
  const fs::path root = DFKD_SOURCE_DIR;
  std::vector<std::string> files{"README.md", "results/README.md"};
  std::vector<std::string> docs;
  for (const auto& e : fs::directory_iterator(root / "docs"))
    if (e.path().extension() == ".md") docs.push_back("docs/" + e.path().filename().string());
  std::sort(docs.begin(), docs.end());
  files.insert(files.end(), docs.begin(), docs.end());
  std::vector<Example> out;
  for (const auto& f : files) {
    auto found = examples_in(root / f, f);
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

/// The statements of a block that starts on `first_line`, each with the line it starts on
/// (SQLite's own parser splits them, so a semicolon in a string or comment does not). On an error
/// `error` says where and what; the statements after it are not reached.
std::vector<std::pair<int, std::string>> statements(sqlite3* db, const std::string& sql,
                                                    int first_line, std::string& error) {
  std::vector<std::pair<int, std::string>> out;
  const char* begin = sql.c_str();
  const char* rest = begin;
  auto line_of = [&](const char* from, const std::string& text) {
    return first_line - 1 + line_at(sql, from - begin + text.find_first_not_of(" \n"));
  };
  while (*rest) {
    sqlite3_stmt* st = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db, rest, -1, &st, &tail) != SQLITE_OK) {
      error = fmt::format("{}: {}", line_of(rest, rest), sqlite3_errmsg(db));
      return out;
    }
    const std::string text(rest, tail);
    if (st) out.emplace_back(line_of(rest, text), text);
    sqlite3_finalize(st);
    rest = tail;
  }
  return out;
}

class DocsSqlTest : public CliTest {
 protected:
  CliResult sh(const std::string& command) const {
    return shell("cd '" + dir_.string() + "' && " + command + " 2>&1");
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return name;
  }

  /// A read statement through `dfkd query` on the default store; "" when it behaved.
  std::string check_read(const std::string& statement) const {
    const auto file = write("statement.sql", statement);
    const auto r = sh(std::string("'") + DFKD_BINARY + "' query \"$(cat " + file +
                      ")\" --format json --limit 0");
    if (r.exit_code != 0) return "dfkd query failed: " + r.output;
    const auto rows = nlohmann::json::parse(r.output, nullptr, false);
    if (rows.is_discarded()) return "dfkd query printed no JSON: " + r.output;
    if (rows.empty() && statement.find("(none") == std::string::npos)
      return "returned no rows on a smoke store (say \"(none ...)\" in its comment if that is "
             "expected)";
    return "";
  }

  /// The merge recipe: in the sqlite3 shell, from other/results.db into an empty store.
  std::string check_merge(const std::string& block) const {
    if (!sh("mkdir -p other && sqlite3 results/results.db '.backup other/results.db'")
             .output.empty())
      return "could not copy the store";
    { ResultsStore empty(dir_ / "merged.db"); }  // the schema, no runs
    const auto r = sh("sqlite3 -bail merged.db < " + write("merge.sql", block));
    if (r.exit_code != 0 || !r.output.empty()) return "sqlite3 failed: " + r.output;
    const auto count = [&](const std::string& db, const char* table) {
      return sh(std::string("sqlite3 ") + db + " 'SELECT count(*) FROM " + table + "'").output;
    };
    for (const char* table : {"run", "cell", "metric", "metric_summary", "artifact", "run_input"})
      if (count("merged.db", table) != count("results/results.db", table))
        return std::string("the merged store lacks rows of ") + table;
    return "";
  }
};

TEST_F(DocsSqlTest, EveryDocumentedQueryRunsOnASmokeStore) {
  fs::create_directories(dir_ / "results");
  const auto run =
      cli("run '" + std::string(DFKD_SOURCE_DIR) +
          "/experiments/table1.json' --profile smoke --no-table --db results/results.db");
  if (run.output.find("data files") != std::string::npos)
    GTEST_SKIP() << "image data not installed (scripts/setup.sh installs it):\n" << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output;
  if (sh("sqlite3 -version").exit_code != 0)
    GTEST_SKIP() << "the sqlite3 shell is not installed (scripts/setup.sh installs it)";

  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2((dir_ / "results/results.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  const auto examples = documented_examples();
  EXPECT_GE(examples.size(), 5u) << "the docs' SQL examples were not found";
  size_t statements_run = 0;
  for (const auto& ex : examples) {
    if (ex.shell) {
      const auto r = sh(ex.sql);
      if (r.exit_code != 0 || !r.output.empty()) ADD_FAILURE() << ex.where << ": " << r.output;
      continue;
    }
    const std::string sql = std::regex_replace(ex.sql, std::regex("'quick'"), "'smoke'");
    if (std::regex_search(sql, std::regex(R"(^\s*ATTACH\b)", std::regex::icase))) {
      const auto why = check_merge(sql);
      if (!why.empty()) ADD_FAILURE() << ex.where << ": " << why;
      continue;
    }
    std::string error;
    const auto file = ex.where.substr(0, ex.where.find(':'));
    const int first = std::stoi(ex.where.substr(ex.where.find(':') + 1));
    for (const auto& [line, statement] : statements(db, sql, first, error)) {
      ++statements_run;
      const auto why = check_read(statement);
      if (!why.empty()) ADD_FAILURE() << file << ":" << line << ": " << why << "\n" << statement;
    }
    if (!error.empty()) ADD_FAILURE() << file << ":" << error;
  }
  sqlite3_close(db);
  EXPECT_GE(statements_run, 8u);
}

}  // namespace
