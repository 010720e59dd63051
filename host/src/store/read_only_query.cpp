// ResultsStore::query: `dfkd query`'s SQL, run on a separate read-only connection after checks
// that refuse anything that could change the store, streamed row by row within limits.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <memory>

#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "store/store_sql.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dfkd::host {
namespace {

using store_detail::fail;
using store_detail::guarded;
using QueryEnd = ResultsStore::QueryEnd;

constexpr const char* kOp = "query";

std::string upper_first_word(const std::string& sql) {
  size_t i = 0;
  // Skip whitespace and comments so "-- note\nDELETE ..." is still recognised.
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      const size_t nl = sql.find('\n', i);
      i = nl == std::string::npos ? sql.size() : nl + 1;
    } else if (sql.compare(i, 2, "/*") == 0) {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && (std::isalpha(static_cast<unsigned char>(sql[i])) || sql[i] == '_'))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  return word;
}

struct QueryAuth {
  std::string denied;  ///< what the authorizer refused, for the error message
};

int query_authorizer(void* user, int action, const char*, const char*, const char*, const char*) {
  auto* auth = static_cast<QueryAuth*>(user);
  switch (action) {
    case SQLITE_ATTACH:
      auth->denied = "ATTACH";
      return SQLITE_DENY;
    case SQLITE_DETACH:
      auth->denied = "DETACH";
      return SQLITE_DENY;
    default:
      return SQLITE_OK;
  }
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

/// The statement's first keyword (upper case), refusing an empty statement and the keywords
/// that write before SQLite sees the statement at all.
std::string refuse_writing_keyword(const fs::path& store, const std::string& sql) {
  static const char* const kWriting[] = {"INSERT",  "UPDATE",  "DELETE", "REPLACE", "CREATE",
                                         "DROP",    "ALTER",   "ATTACH", "DETACH",  "VACUUM",
                                         "REINDEX", "ANALYZE", "UPSERT"};
  const std::string first = upper_first_word(sql);
  if (first.empty()) fail(store, kOp, "empty SQL statement");
  for (const char* w : kWriting)
    if (first == w)
      fail(store, kOp,
           fmt::format("refused {} statement: dfkd query is read-only (SELECT, WITH, EXPLAIN "
                       "or a read-only PRAGMA)",
                       first));
  return first;
}

/// Exactly one statement: whatever follows the first must be only whitespace, ';' or comments.
void refuse_second_statement(const fs::path& store, sqlite3* h, const char* tail) {
  if (!tail || !*tail) return;
  sqlite3_stmt* next_raw = nullptr;
  const char* next_tail = nullptr;
  const int rc = sqlite3_prepare_v2(h, tail, -1, &next_raw, &next_tail);
  StmtPtr next(next_raw);
  if (rc != SQLITE_OK || next)
    fail(store, kOp, "only one SQL statement per query (found more after the first ';')");
}

void refuse_writing_statement(const fs::path& store, sqlite3_stmt* stmt, const std::string& first) {
  if (sqlite3_stmt_readonly(stmt)) return;
  if (first == "PRAGMA")
    fail(store, kOp,
         "refused PRAGMA that can change the store or its settings: dfkd query is read-only "
         "(introspection pragmas such as table_info or user_version are allowed)");
  fail(store, kOp,
       fmt::format("refused statement that would modify the store ({}): dfkd query is "
                   "read-only",
                   first));
}

/// `sql` prepared on `h` as exactly one statement that cannot write; `first` is its first keyword.
StmtPtr prepare_read_only_statement(const fs::path& store, sqlite3* h, const std::string& sql,
                                    const std::string& first, const QueryAuth& auth) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(h, sql.c_str(), -1, &raw, &tail);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) {
    if (!auth.denied.empty())
      fail(store, kOp,
           fmt::format("refused {} statement: dfkd query reads this store only", auth.denied));
    fail(store, kOp, fmt::format("SQL error: {}", sqlite3_errmsg(h)));
  }
  if (!stmt) fail(store, kOp, "empty SQL statement");
  refuse_second_statement(store, h, tail);
  refuse_writing_statement(store, stmt.get(), first);
  return stmt;
}

/// Timeout and cancellation: SQLite calls the progress handler every kProgressOps virtual-machine
/// steps, also inside a step that never returns a row (an endless recursive CTE under count(*));
/// a non-zero return makes the step fail with SQLITE_INTERRUPT.
class QueryWatch {
 public:
  explicit QueryWatch(const ResultsStore::QueryLimits& limits) : limits_(limits) {
    if (limits.timeout_seconds > 0)
      deadline_ = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(limits.timeout_seconds));
  }
  /// Whether there is anything to watch (a timeout or a cancellation flag).
  bool active() const { return limits_.timeout_seconds > 0 || limits_.cancelled; }
  void install(sqlite3* h) {
    constexpr int kProgressOps = 1000;
    if (active()) sqlite3_progress_handler(h, kProgressOps, &QueryWatch::on_progress, this);
  }
  /// True once the query must stop; reason() then says why.
  bool check() {
    if (limits_.cancelled && limits_.cancelled())
      reason_ = QueryEnd::Cancelled;
    else if (limits_.timeout_seconds > 0 && std::chrono::steady_clock::now() >= deadline_)
      reason_ = QueryEnd::Timeout;
    return reason_ != QueryEnd::Done;
  }
  QueryEnd reason() const { return reason_; }

 private:
  static int on_progress(void* watch) { return static_cast<QueryWatch*>(watch)->check() ? 1 : 0; }
  const ResultsStore::QueryLimits& limits_;
  std::chrono::steady_clock::time_point deadline_;
  QueryEnd reason_ = QueryEnd::Done;
};

std::vector<std::string> column_names(sqlite3_stmt* stmt) {
  const int ncol = sqlite3_column_count(stmt);
  std::vector<std::string> columns;
  for (int c = 0; c < ncol; ++c) {
    const char* name = sqlite3_column_name(stmt, c);
    columns.emplace_back(name ? name : "");
  }
  return columns;
}

/// One cell as JSON: null, number or text (a blob is described, not returned).
json column_value(sqlite3_stmt* stmt, int c) {
  switch (sqlite3_column_type(stmt, c)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, c));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, c);
    case SQLITE_TEXT: {
      const auto* p = sqlite3_column_text(stmt, c);
      const int n = sqlite3_column_bytes(stmt, c);
      return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    }
    case SQLITE_BLOB:
      return fmt::format("<blob {} bytes>", sqlite3_column_bytes(stmt, c));
    default:
      return nullptr;
  }
}

/// Steps `stmt` to its end (or a limit), passing each row to `on_row` as SQLite produces it.
QueryEnd stream_rows(const fs::path& store, sqlite3* h, sqlite3_stmt* stmt, int64_t max_rows,
                     QueryWatch& watch, const ResultsStore::QueryRow& on_row) {
  const int ncol = sqlite3_column_count(stmt);
  int64_t rows = 0;
  std::vector<json> row;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (max_rows > 0 && rows == max_rows) return QueryEnd::RowLimit;
    row.clear();
    row.reserve(static_cast<size_t>(ncol));
    for (int c = 0; c < ncol; ++c) row.push_back(column_value(stmt, c));
    on_row(row);
    ++rows;
    // Rows that come quickly may never reach the progress handler's step count.
    if (watch.active() && watch.check()) return watch.reason();
  }
  if (rc == SQLITE_INTERRUPT && watch.reason() != QueryEnd::Done) return watch.reason();
  if (rc != SQLITE_DONE) fail(store, kOp, fmt::format("SQL error: {}", sqlite3_errmsg(h)));
  return QueryEnd::Done;
}

}  // namespace

ResultsStore::QueryResult ResultsStore::query(const std::string& sql) const {
  QueryResult result;
  query(
      sql, QueryLimits{},
      [&](const std::vector<std::string>& columns) { result.columns = columns; },
      [&](const std::vector<json>& row) { result.rows.push_back(row); });
  return result;
}

ResultsStore::QueryEnd ResultsStore::query(const std::string& sql, const QueryLimits& limits,
                                           const QueryColumns& on_columns,
                                           const QueryRow& on_row) const {
  const std::string first = refuse_writing_keyword(path_, sql);
  return guarded(path_, kOp, [&] {
    // A separate connection opened read-only: even a statement that slipped past the checks
    // could not write the store. open_reader works in a read-only directory too.
    const auto reader = store_detail::open_reader(path_, store_detail::kBusyTimeoutMs);
    sqlite3* h = reader->getHandle();
    QueryAuth auth;
    sqlite3_set_authorizer(h, &query_authorizer, &auth);
    const StmtPtr stmt = prepare_read_only_statement(path_, h, sql, first, auth);
    QueryWatch watch(limits);
    watch.install(h);
    on_columns(column_names(stmt.get()));
    return stream_rows(path_, h, stmt.get(), limits.max_rows, watch, on_row);
  });
}

}  // namespace dfkd::host
