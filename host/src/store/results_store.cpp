// ResultsStore: run status names, opening a store file and migrating its schema. The other
// members live by concern in experiments.cpp, run_records.cpp, run_lifecycle.cpp,
// metrics_artifacts.cpp, read_only_query.cpp, provenance.cpp and merge_run.cpp.
#include "store/results_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <stdexcept>
#include <system_error>

#include "config/json_parse.hpp"
#include "dfkd/errors.hpp"
#include "store/schema.hpp"
#include "store/store_errors.hpp"
#include "store/store_sql.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dfkd::host {

// ---------------------------------------------------------------------------------------------
// Helpers shared by the store's files (store_sql.hpp)

namespace store_detail {

json parse_stored_json(const std::string& text, const std::string& origin) {
  return parse_json_limited(text, origin, kStoredJsonDepthLimit);
}

void bind_text_or_null(SQLite::Statement& st, int index, const std::string& value) {
  if (value.empty())
    st.bind(index);
  else
    st.bind(index, value);
}

void bind_real_or_null(SQLite::Statement& st, int index, double value) {
  if (std::isnan(value))
    st.bind(index);
  else
    st.bind(index, value);
}

bool run_exists(SQLite::Database& db, const std::string& run_id) {
  SQLite::Statement exists(db, "SELECT 1 FROM run WHERE run_id = ?1");
  exists.bind(1, run_id);
  return exists.executeStep();
}

}  // namespace store_detail

namespace {

static_assert(ResultsStore::kSchemaVersion >= 1);

using store_detail::fail;
using store_detail::guarded;
using store_detail::kBusyTimeoutMs;
using store_detail::open_reader;

int read_user_version(const SQLite::Database& db) {
  SQLite::Statement st(db, "PRAGMA user_version");
  st.executeStep();
  return st.getColumn(0).getInt();
}

std::string newer_schema_message(int found) {
  return fmt::format("store schema version {} is newer than this dfkd ({}); upgrade dfkd", found,
                     ResultsStore::kSchemaVersion);
}

}  // namespace

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::Planned:
      return "planned";
    case RunStatus::Running:
      return "running";
    case RunStatus::Completed:
      return "completed";
    case RunStatus::Failed:
      return "failed";
    case RunStatus::Killed:
      return "killed";
  }
  return "unknown";
}

RunStatus run_status_from_string(const std::string& s) {
  if (s == "planned") return RunStatus::Planned;
  if (s == "running") return RunStatus::Running;
  if (s == "completed") return RunStatus::Completed;
  if (s == "failed") return RunStatus::Failed;
  if (s == "killed") return RunStatus::Killed;
  throw std::invalid_argument(fmt::format(
      "unknown run status '{}' (expected planned, running, completed, failed or killed)", s));
}

// ---------------------------------------------------------------------------------------------
// Opening and migrating

ResultsStore::ResultsStore(const fs::path& path, Mode mode, Journal journal)
    : path_(fs::absolute(path)), mode_(mode), journal_(journal) {
  if (store_schema::latest_version() != kSchemaVersion)
    fail(path_, "open", "internal error: migration list and kSchemaVersion disagree");
  if (mode_ == Mode::ReadOnly)
    open_read_only();
  else
    open_read_write();
}

ResultsStore::~ResultsStore() = default;

namespace {

// A --db naming a directory is a usage error, said as such (SQLite would say "unable to open").
void refuse_directory(const fs::path& path, const char* operation) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw ConfigError(
        fmt::format("results store '{}': {}: is a directory, not a store file; give "
                    "--db a file path, e.g. '{}'",
                    path.string(), operation, (path / "results.db").string()));
}

bool writable_directory(const fs::path& dir) {
  return ::access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
}

// "file:" URI of `path` (RFC 3986 percent-encoding of everything but unreserved characters and /).
std::string file_uri(const fs::path& path) {
  std::string out = "file:";
  for (unsigned char c : path.string()) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

// A read-only connection that also works in a directory the user cannot write: a WAL reader
// needs a -shm file SQLite cannot create there. No writer can work there either (it needs the
// -wal file), so the store file is all there is: read it as immutable (no locks, no shm).
std::unique_ptr<SQLite::Database> store_detail::open_reader(const fs::path& path,
                                                            int busy_timeout_ms) {
  try {
    auto db =
        std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READONLY, busy_timeout_ms);
    db->exec("SELECT count(*) FROM sqlite_master");  // opening is lazy: this touches the WAL
    return db;
  } catch (const SQLite::Exception&) {
    if (writable_directory(path.parent_path())) throw;
    return std::make_unique<SQLite::Database>(
        file_uri(path) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, busy_timeout_ms);
  }
}

void ResultsStore::open_read_only() {
  std::error_code ec;
  refuse_directory(path_, "open (read-only)");
  if (!fs::exists(path_, ec))
    fail(path_, "open (read-only)",
         "no such file; a store is created by `dfkd run EXPERIMENT.json --db " + path_.string() +
             "` or, from committed results, `dfkd ingest results/<profile>/archive/<name> --db " +
             path_.string() + "`");
  guarded(path_, "open (read-only)", [&] {
    db_ = open_reader(path_, kBusyTimeoutMs);
    const int version = read_user_version(*db_);
    if (version > kSchemaVersion) fail(path_, "open (read-only)", newer_schema_message(version));
    if (version == 0)
      fail(path_, "open (read-only)",
           "not a dfkd results store (schema version 0); a store is created by `dfkd run`");
    if (version < kOldestReadableVersion)
      fail(path_, "open (read-only)",
           fmt::format("store schema version {} is older than this dfkd reads without migrating "
                       "({} to {}); run `dfkd run` on it once (read-write) to migrate it",
                       version, kOldestReadableVersion, kSchemaVersion));
    db_->exec("PRAGMA foreign_keys = ON");
  });
}

void ResultsStore::open_read_write() {
  std::error_code ec;
  refuse_directory(path_, "open");
  if (path_.has_parent_path() && !fs::exists(path_.parent_path(), ec)) {
    fs::create_directories(path_.parent_path(), ec);
    if (ec)
      fail(path_, "open",
           fmt::format("cannot create directory '{}': {}", path_.parent_path().string(),
                       ec.message()));
  }
  // Say what is wrong before SQLite says "unable to open database file" or "readonly database".
  if (!writable_directory(path_.parent_path()))
    fail(path_, "open",
         fmt::format(
             "the directory '{}' is not writable: writing to a store needs its file and "
             "SQLite's -wal/-shm (or -journal) files there; reading commands (table, status, "
             "query, runs, plot --out elsewhere) work on a store in a read-only directory",
             path_.parent_path().string()));
  if (fs::exists(path_, ec) && ::access(path_.c_str(), W_OK) != 0)
    fail(path_, "open",
         "the store file is read-only (no write permission); reading commands "
         "(table, status, query, runs) still work on it");
  guarded(path_, "open", [&] {
    db_ = std::make_unique<SQLite::Database>(
        path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
    // Refuse a newer store before changing anything in it (journal mode included).
    const int version = read_user_version(*db_);
    if (version > kSchemaVersion) fail(path_, "open", newer_schema_message(version));
    SQLite::Statement wal(*db_, journal_ == Journal::Wal ? "PRAGMA journal_mode = WAL"
                                                         : "PRAGMA journal_mode = DELETE");
    wal.executeStep();
    db_->exec("PRAGMA synchronous = NORMAL");
    db_->exec("PRAGMA foreign_keys = ON");
  });
  migrate();
}

void ResultsStore::migrate() {
  guarded(path_, "migrate", [&] {
    int current = read_user_version(*db_);
    for (const auto& m : store_schema::migrations()) {
      if (m.version <= current) continue;
      // BEGIN IMMEDIATE takes the write lock, so concurrent openers migrate one at a time; the
      // version is re-read under the lock because another process may have migrated meanwhile.
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      current = read_user_version(*db_);
      if (current > kSchemaVersion) fail(path_, "migrate", newer_schema_message(current));
      if (current >= m.version) continue;  // rolled back by tx's destructor: nothing was written
      if (current != m.version - 1)
        fail(path_, "migrate",
             fmt::format("cannot migrate from schema version {} to {}", current, m.version));
      if (current == 0) {
        SQLite::Statement tables(
            *db_, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
        tables.executeStep();
        if (tables.getColumn(0).getInt() > 0)
          fail(path_, "migrate",
               "the file is an SQLite database with tables but no dfkd schema version; refusing "
               "to add dfkd tables to it (use another --db path)");
      }
      try {
        db_->exec(m.sql);
      } catch (const SQLite::Exception& e) {
        fail(path_, "migrate",
             fmt::format("migration {} ({}) failed: {}", m.version, m.description, e.what()));
      }
      db_->exec(fmt::format("PRAGMA user_version = {}", m.version));
      tx.commit();
      current = m.version;
    }
  });
}

void ResultsStore::require_writable(const char* operation) const {
  if (mode_ == Mode::ReadOnly) fail(path_, operation, "the store was opened read-only");
}

int ResultsStore::schema_version() const {
  return guarded(path_, "schema_version", [&] { return read_user_version(*db_); });
}

}  // namespace dfkd::host
