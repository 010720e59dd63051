#include "store/results_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "config/json_parse.hpp"
#include "dfkd/errors.hpp"
#include "store/schema.hpp"
#include "store/store_errors.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dfkd::host {
namespace {

constexpr int kBusyTimeoutMs = 10000;
/// Current time as stored everywhere: ISO-8601 UTC with milliseconds.
#define DFKD_NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
/// Seconds since heartbeat_at, evaluated by SQLite (NULL heartbeat counts as infinitely old).
#define DFKD_HEARTBEAT_AGE "((julianday('now') - julianday(heartbeat_at)) * 86400.0)"

static_assert(ResultsStore::kSchemaVersion >= 1);

using store_detail::fail;
using store_detail::guarded;
using store_detail::text;

/// JSON the store holds (definitions and configs dfkd wrote from experiment files, or a store
/// edited by hand): parsed with the depth limit, so a hostile value cannot crash the reader.
json parse_stored_json(const std::string& text, const std::string& origin) {
  return parse_json_limited(text, origin, kStoredJsonDepthLimit);
}

double real_or_nan(const SQLite::Column& c) {
  return c.isNull() ? std::numeric_limits<double>::quiet_NaN() : c.getDouble();
}

void bind_text_or_null(SQLite::Statement& st, int index, const std::string& value) {
  if (value.empty())
    st.bind(index);
  else
    st.bind(index, value);
}

int read_user_version(const SQLite::Database& db) {
  SQLite::Statement st(db, "PRAGMA user_version");
  st.executeStep();
  return st.getColumn(0).getInt();
}

std::string newer_schema_message(int found) {
  return fmt::format("store schema version {} is newer than this dfkd ({}); upgrade dfkd", found,
                     ResultsStore::kSchemaVersion);
}

const char* kRunColumns =
    "run_id, run_key, experiment, row, column_name, seed, profile, role, method, status, attempt, "
    "parent_run_id, parent_run_key, config_json, created_at, started_at, finished_at, "
    "heartbeat_at, wall_seconds, epochs_done, error, environment_id, "
    "CASE WHEN heartbeat_at IS NULL THEN 0.0 ELSE " DFKD_HEARTBEAT_AGE " END";

RunRecord read_run(SQLite::Statement& st) {
  RunRecord r;
  r.run_id = text(st.getColumn(0));
  r.run_key = text(st.getColumn(1));
  r.experiment = text(st.getColumn(2));
  r.row = text(st.getColumn(3));
  r.column = text(st.getColumn(4));
  r.seed = st.getColumn(5).getInt64();
  r.profile = text(st.getColumn(6));
  r.role = text(st.getColumn(7));
  r.method = text(st.getColumn(8));
  r.status = run_status_from_string(text(st.getColumn(9)));
  r.attempt = st.getColumn(10).getInt64();
  r.parent_run_id = text(st.getColumn(11));
  r.parent_run_key = text(st.getColumn(12));
  const std::string config = text(st.getColumn(13));
  r.config = config.empty() ? json() : parse_stored_json(config, "run " + r.run_id + " config_json");
  r.created_at = text(st.getColumn(14));
  r.started_at = text(st.getColumn(15));
  r.finished_at = text(st.getColumn(16));
  r.heartbeat_at = text(st.getColumn(17));
  r.wall_seconds = st.getColumn(18).getDouble();
  r.epochs_done = st.getColumn(19).getInt64();
  r.error = text(st.getColumn(20));
  r.environment_id = text(st.getColumn(21));
  r.heartbeat_age_seconds = st.getColumn(22).getDouble();
  return r;
}

/// One flattened config entry of the `param` table.
struct Param {
  std::string key, type, text;
  std::optional<double> real;
  bool text_null = false;
};

/// Flattens JSON into dotted keys ("method.options.lr_student", arrays as "a.0"). Scalars keep
/// their type; empty objects/arrays are kept as type 'json' so no key silently disappears.
void flatten(const json& j, const std::string& prefix, std::vector<Param>& out) {
  auto join = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it) flatten(it.value(), join(it.key()), out);
    return;
  }
  if (j.is_array() && !j.empty()) {
    for (size_t i = 0; i < j.size(); ++i) flatten(j[i], join(std::to_string(i)), out);
    return;
  }
  if (prefix.empty()) return;  // a scalar or empty root has no key to store it under
  Param p;
  p.key = prefix;
  if (j.is_null()) {
    p.type = "null";
    p.text_null = true;
  } else if (j.is_boolean()) {
    p.type = "bool";
    p.text = j.get<bool>() ? "true" : "false";
    p.real = j.get<bool>() ? 1.0 : 0.0;
  } else if (j.is_number_integer()) {
    p.type = "int";
    p.text = j.dump();
    p.real = j.get<double>();
  } else if (j.is_number_float()) {
    p.type = "real";
    p.text = j.dump();
    p.real = j.get<double>();
  } else if (j.is_string()) {
    p.type = "text";
    p.text = j.get<std::string>();
  } else {
    p.type = "json";
    p.text = j.dump();
  }
  out.push_back(std::move(p));
}

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

}  // namespace

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::Planned: return "planned";
    case RunStatus::Running: return "running";
    case RunStatus::Completed: return "completed";
    case RunStatus::Failed: return "failed";
    case RunStatus::Killed: return "killed";
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
    throw ConfigError(fmt::format("results store '{}': {}: is a directory, not a store file; give "
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

// A read-only connection that also works in a directory the user cannot write: a WAL reader
// needs a -shm file SQLite cannot create there. No writer can work there either (it needs the
// -wal file), so the store file is all there is: read it as immutable (no locks, no shm).
std::unique_ptr<SQLite::Database> open_reader(const fs::path& path, int busy_timeout_ms) {
  try {
    auto db = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READONLY, busy_timeout_ms);
    db->exec("SELECT count(*) FROM sqlite_master");  // opening is lazy: this touches the WAL
    return db;
  } catch (const SQLite::Exception&) {
    if (writable_directory(path.parent_path())) throw;
    return std::make_unique<SQLite::Database>(file_uri(path) + "?immutable=1",
                                              SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, busy_timeout_ms);
  }
}

}  // namespace

void ResultsStore::open_read_only() {
  std::error_code ec;
  refuse_directory(path_, "open (read-only)");
  if (!fs::exists(path_, ec))
    fail(path_, "open (read-only)",
         "no such file; a store is created by `dfkd run EXPERIMENT.json --db " + path_.string() +
             "`");
  guarded(path_, "open (read-only)", [&] {
    db_ = open_reader(path_, kBusyTimeoutMs);
    const int version = read_user_version(*db_);
    if (version > kSchemaVersion) fail(path_, "open (read-only)", newer_schema_message(version));
    if (version == 0)
      fail(path_, "open (read-only)",
           "not a dfkd results store (schema version 0); a store is created by `dfkd run`");
    if (version < kSchemaVersion)
      fail(path_, "open (read-only)",
           fmt::format("store schema version {} is older than this dfkd ({}); run `dfkd run` on it "
                       "once (read-write) to migrate it",
                       version, kSchemaVersion));
    db_->exec("PRAGMA foreign_keys = ON");
  });
}

void ResultsStore::open_read_write() {
  std::error_code ec;
  refuse_directory(path_, "open");
  if (path_.has_parent_path() && !fs::exists(path_.parent_path(), ec)) {
    fs::create_directories(path_.parent_path(), ec);
    if (ec)
      fail(path_, "open", fmt::format("cannot create directory '{}': {}",
                                      path_.parent_path().string(), ec.message()));
  }
  // Say what is wrong before SQLite says "unable to open database file" or "readonly database".
  if (!writable_directory(path_.parent_path()))
    fail(path_, "open",
         fmt::format("the directory '{}' is not writable: writing to a store needs its file and "
                     "SQLite's -wal/-shm (or -journal) files there; reading commands (table, status, "
                     "query, runs, plot --out elsewhere) work on a store in a read-only directory",
                     path_.parent_path().string()));
  if (fs::exists(path_, ec) && ::access(path_.c_str(), W_OK) != 0)
    fail(path_, "open", "the store file is read-only (no write permission); reading commands "
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
        SQLite::Statement tables(*db_,
                                 "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
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

// ---------------------------------------------------------------------------------------------
// Experiments, environments, plugins

void ResultsStore::upsert_experiment(const std::string& name, const std::string& title,
                                     const json& definition, const std::string& source_file) {
  const char* op = "upsert_experiment";
  require_writable(op);
  if (name.empty()) fail(path_, op, "experiment name is empty");
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(*db_,
                         "INSERT INTO experiment (name, title, definition_json, source_file, created_at, "
                         "updated_at) VALUES (?1, ?2, ?3, ?4, " DFKD_NOW ", " DFKD_NOW ") "
                         "ON CONFLICT (name) DO UPDATE SET title = excluded.title, "
                         "definition_json = excluded.definition_json, "
                         "source_file = CASE WHEN excluded.source_file = '' THEN source_file "
                         "ELSE excluded.source_file END, "
                         "updated_at = excluded.updated_at "
                         "WHERE definition_json IS NOT excluded.definition_json "
                         "OR title IS NOT excluded.title "
                         "OR (excluded.source_file <> '' AND source_file IS NOT excluded.source_file)");
    st.bind(1, name);
    st.bind(2, title);
    st.bind(3, definition.dump());
    st.bind(4, source_file);
    st.exec();
    tx.commit();
  });
}

std::string ResultsStore::ensure_environment(const EnvironmentInfo& env) {
  const char* op = "ensure_environment";
  require_writable(op);
  const json fields = {{"git_commit", env.git_commit}, {"git_dirty", env.git_dirty},
                       {"compiler", env.compiler},     {"torch_version", env.torch_version},
                       {"device", env.device},         {"threads", env.threads},
                       {"blas", env.blas},             {"hostname", env.hostname}};
  const std::string id = sha256_hex(fields.dump());  // keys sorted: a canonical form
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(*db_,
                         "INSERT OR IGNORE INTO environment (environment_id, git_commit, "
                         "git_dirty, compiler, torch_version, device, threads, blas, hostname, "
                         "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, " DFKD_NOW ")");
    st.bind(1, id);
    st.bind(2, env.git_commit);
    st.bind(3, env.git_dirty ? 1 : 0);
    st.bind(4, env.compiler);
    st.bind(5, env.torch_version);
    st.bind(6, env.device);
    st.bind(7, static_cast<int64_t>(env.threads));
    st.bind(8, env.blas);
    st.bind(9, env.hostname);
    st.exec();
    tx.commit();
  });
  return id;
}

void ResultsStore::record_plugins(const std::string& run_id,
                                  const std::vector<PluginRecord>& plugins) {
  const char* op = "record_plugins";
  require_writable(op);
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement exists(*db_, "SELECT 1 FROM run WHERE run_id = ?1");
    exists.bind(1, run_id);
    if (!exists.executeStep()) fail(path_, op, "no run with id '" + run_id + "'");
    SQLite::Statement plugin(*db_,
                             "INSERT OR IGNORE INTO plugin (plugin_id, kind, name, version, "
                             "interface_id, file_sha256, file_path) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    SQLite::Statement link(*db_,
                           "INSERT OR IGNORE INTO run_plugin (run_id, plugin_id) VALUES (?1, ?2)");
    for (const auto& p : plugins) {
      const std::string id =
          sha256_hex(p.kind + "\n" + p.name + "\n" + p.version + "\n" + p.file_sha256);
      plugin.bind(1, id);
      plugin.bind(2, p.kind);
      plugin.bind(3, p.name);
      plugin.bind(4, p.version);
      plugin.bind(5, p.interface_id);
      plugin.bind(6, p.file_sha256);
      plugin.bind(7, p.file_path);
      plugin.exec();
      plugin.reset();
      link.bind(1, run_id);
      link.bind(2, id);
      link.exec();
      link.reset();
    }
    tx.commit();
  });
}

std::vector<std::string> ResultsStore::experiments() const {
  return guarded(path_, "experiments", [&] {
    std::vector<std::string> out;
    SQLite::Statement st(*db_, "SELECT name FROM experiment ORDER BY name");
    while (st.executeStep()) out.push_back(text(st.getColumn(0)));
    return out;
  });
}

std::optional<json> ResultsStore::experiment_definition(const std::string& name) const {
  return guarded(path_, "experiment_definition", [&]() -> std::optional<json> {
    SQLite::Statement st(*db_, "SELECT definition_json FROM experiment WHERE name = ?1");
    st.bind(1, name);
    if (!st.executeStep()) return std::nullopt;
    return parse_stored_json(text(st.getColumn(0)),
                             "experiment '" + name + "' definition_json");
  });
}

// ---------------------------------------------------------------------------------------------
// Runs and cells

RunRecord ResultsStore::plan_run(const RunPlan& plan) {
  const char* op = "plan_run";
  require_writable(op);
  if (plan.run_key.empty()) fail(path_, op, "run_key is empty");
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement existing(*db_, "SELECT run_id FROM run WHERE run_key = ?1");
    existing.bind(1, plan.run_key);
    if (existing.executeStep()) return;  // planned before: keep the first record untouched

    const std::string run_id = plan.run_id.empty() ? random_id() : plan.run_id;
    SQLite::Statement ins(
        *db_,
        "INSERT INTO run (run_id, run_key, experiment, row, column_name, seed, profile, role, "
        "method, status, attempt, parent_run_key, parent_run_id, config_json, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'planned', 0, ?10, "
        "(SELECT run_id FROM run WHERE run_key = ?10), ?11, " DFKD_NOW ")");
    ins.bind(1, run_id);
    ins.bind(2, plan.run_key);
    ins.bind(3, plan.experiment);
    ins.bind(4, plan.row);
    ins.bind(5, plan.column);
    ins.bind(6, static_cast<int64_t>(plan.seed));
    ins.bind(7, plan.profile);
    ins.bind(8, plan.role);
    ins.bind(9, plan.method);
    bind_text_or_null(ins, 10, plan.parent_run_key);
    ins.bind(11, plan.config.dump());
    ins.exec();
    // Students planned before their teacher learn the teacher's run_id now.
    SQLite::Statement children(*db_,
                               "UPDATE run SET parent_run_id = ?1 "
                               "WHERE parent_run_key = ?2 AND parent_run_id IS NULL");
    children.bind(1, run_id);
    children.bind(2, plan.run_key);
    children.exec();
    tx.commit();
  });
  auto record = find_run_by_key(plan.run_key);
  if (!record) fail(path_, op, "run with key '" + plan.run_key + "' vanished after planning");
  return *record;
}

std::optional<RunRecord> ResultsStore::select_one_run(const std::string& where,
                                                      const std::string& arg) const {
  SQLite::Statement st(*db_, fmt::format("SELECT {} FROM run WHERE {}", kRunColumns, where));
  st.bind(1, arg);
  if (!st.executeStep()) return std::nullopt;
  return read_run(st);
}

std::optional<RunRecord> ResultsStore::find_run_by_key(const std::string& run_key) const {
  return guarded(path_, "find_run_by_key",
                 [&] { return select_one_run("run_key = ?1", run_key); });
}

std::optional<RunRecord> ResultsStore::find_run(const std::string& run_id) const {
  const char* op = "find_run";
  if (run_id.empty()) return std::nullopt;
  return guarded(path_, op, [&]() -> std::optional<RunRecord> {
    if (auto exact = select_one_run("run_id = ?1", run_id)) return exact;
    SQLite::Statement st(*db_,
                         "SELECT run_id, experiment, row, column_name, seed, status FROM run "
                         "WHERE substr(run_id, 1, length(?1)) = ?1 ORDER BY run_id LIMIT 21");
    st.bind(1, run_id);
    std::vector<std::pair<std::string, std::string>> matches;  // id, description
    while (st.executeStep())
      matches.emplace_back(text(st.getColumn(0)),
                           fmt::format("{} ({} {}/{} seed {}, {})", text(st.getColumn(0)),
                                       text(st.getColumn(1)), text(st.getColumn(2)),
                                       text(st.getColumn(3)), st.getColumn(4).getInt64(),
                                       text(st.getColumn(5))));
    if (matches.empty()) return std::nullopt;
    if (matches.size() > 1) {
      std::string list;
      for (size_t i = 0; i < matches.size() && i < 20; ++i) list += "\n  " + matches[i].second;
      if (matches.size() > 20) list += "\n  ...";
      fail(path_, op,
           fmt::format("run id prefix '{}' is ambiguous; it matches:{}", run_id, list));
    }
    return select_one_run("run_id = ?1", matches.front().first);
  });
}

void ResultsStore::link_cell(const CellRecord& cell) {
  const char* op = "link_cell";
  require_writable(op);
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement exists(*db_, "SELECT 1 FROM run WHERE run_key = ?1");
    exists.bind(1, cell.run_key);
    if (!exists.executeStep())
      fail(path_, op, "no run with key '" + cell.run_key + "' (plan the run before linking it)");
    SQLite::Statement st(*db_,
                         "INSERT INTO cell (experiment, profile, row, column_name, seed, run_key) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                         "ON CONFLICT (experiment, profile, row, column_name, seed) "
                         "DO UPDATE SET run_key = excluded.run_key");
    st.bind(1, cell.experiment);
    st.bind(2, cell.profile);
    st.bind(3, cell.row);
    st.bind(4, cell.column);
    st.bind(5, static_cast<int64_t>(cell.seed));
    st.bind(6, cell.run_key);
    st.exec();
    tx.commit();
  });
}

std::vector<CellRecord> ResultsStore::cells(const std::string& experiment,
                                            const std::string& profile) const {
  return guarded(path_, "cells", [&] {
    std::vector<CellRecord> out;
    SQLite::Statement st(*db_,
                         "SELECT experiment, profile, row, column_name, seed, run_key FROM cell "
                         "WHERE experiment = ?1 AND (?2 = '' OR profile = ?2) "
                         "ORDER BY profile, row, column_name, seed");
    st.bind(1, experiment);
    st.bind(2, profile);
    while (st.executeStep()) {
      CellRecord c;
      c.experiment = text(st.getColumn(0));
      c.profile = text(st.getColumn(1));
      c.row = text(st.getColumn(2));
      c.column = text(st.getColumn(3));
      c.seed = st.getColumn(4).getInt64();
      c.run_key = text(st.getColumn(5));
      out.push_back(std::move(c));
    }
    return out;
  });
}

std::vector<RunRecord> ResultsStore::runs(const std::string& experiment,
                                          const std::string& status) const {
  if (!status.empty()) run_status_from_string(status);  // validates; throws invalid_argument
  return guarded(path_, "runs", [&] {
    std::vector<RunRecord> out;
    SQLite::Statement st(*db_, fmt::format("SELECT {} FROM run WHERE (?1 = '' OR experiment = ?1) "
                                           "AND (?2 = '' OR status = ?2) "
                                           "ORDER BY created_at DESC, rowid DESC",
                                           kRunColumns));
    st.bind(1, experiment);
    st.bind(2, status);
    while (st.executeStep()) out.push_back(read_run(st));
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Run lifecycle

namespace {

std::string this_host() {
  std::array<char, 256> name{};
  gethostname(name.data(), name.size() - 1);
  return name.data();
}

/// "host:pid" of this process: lets a claimant on the same machine see at once that the process
/// holding a run died (kill -9, power loss of a worker) instead of waiting for the heartbeat to age.
std::string this_claimant() { return fmt::format("{}:{}", this_host(), getpid()); }

bool claimant_is_dead(const std::string& claimant) {
  const auto colon = claimant.rfind(':');
  if (colon == std::string::npos || claimant.substr(0, colon) != this_host()) return false;
  const auto pid = static_cast<pid_t>(std::stoll(claimant.substr(colon + 1)));
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

bool ResultsStore::claim_run(const std::string& run_id, const std::string& environment_id,
                             double stale_after_seconds, int64_t min_attempt) {
  const char* op = "claim_run";
  require_writable(op);
  return guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    {
      SQLite::Statement holder(*db_, "SELECT claimed_by FROM run WHERE run_id = ?1 AND status = 'running'");
      holder.bind(1, run_id);
      if (holder.executeStep() && !holder.getColumn(0).isNull() &&
          claimant_is_dead(holder.getColumn(0).getString()))
        stale_after_seconds = -1;  // its process is gone: reclaim now
    }
    SQLite::Statement st(
        *db_,
        "UPDATE run SET status = 'running', attempt = max(attempt + 1, ?5), started_at = " DFKD_NOW
        ", heartbeat_at = " DFKD_NOW ", finished_at = NULL, error = NULL, environment_id = ?2, "
        "claimed_by = ?4 WHERE run_id = ?1 AND (status IN ('planned', 'failed', 'killed') OR "
        "(status = 'running' AND (heartbeat_at IS NULL OR " DFKD_HEARTBEAT_AGE " > ?3)))");
    st.bind(1, run_id);
    bind_text_or_null(st, 2, environment_id);
    st.bind(3, stale_after_seconds);
    st.bind(4, this_claimant());
    st.bind(5, min_attempt);
    st.exec();
    if (db_->getChanges() == 1) {
      tx.commit();
      return true;
    }
    SQLite::Statement exists(*db_, "SELECT 1 FROM run WHERE run_id = ?1");
    exists.bind(1, run_id);
    if (!exists.executeStep()) fail(path_, op, "no run with id '" + run_id + "'");
    return false;  // held by a live claimant or completed; tx rolls back (nothing written)
  });
}

void ResultsStore::heartbeat(const std::string& run_id) {
  const char* op = "heartbeat";
  require_writable(op);
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(*db_, "UPDATE run SET heartbeat_at = " DFKD_NOW " WHERE run_id = ?1");
    st.bind(1, run_id);
    st.exec();
    if (db_->getChanges() != 1) fail(path_, op, "no run with id '" + run_id + "'");
    tx.commit();
  });
}

bool ResultsStore::adopt_claim(const std::string& run_id) {
  const char* op = "adopt_claim";
  require_writable(op);
  return guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(*db_, "UPDATE run SET claimed_by = ?2, heartbeat_at = " DFKD_NOW
                               " WHERE run_id = ?1 AND status = 'running'");
    st.bind(1, run_id);
    st.bind(2, this_claimant());
    st.exec();
    const bool adopted = db_->getChanges() == 1;
    tx.commit();
    return adopted;
  });
}

void ResultsStore::log_epoch(const std::string& run_id, int64_t epoch, int64_t step,
                             const std::map<std::string, double>& metrics) {
  insert_metrics("log_epoch", run_id, epoch, step, metrics, true);
}

void ResultsStore::log_stage_epoch(const std::string& run_id, int64_t epoch,
                                   const std::map<std::string, double>& metrics) {
  for (const auto& [key, value] : metrics)
    if (key.find('/') == std::string::npos)
      throw std::invalid_argument("log_stage_epoch: metric key '" + key +
                                  "' must be '<stage>/<metric>'");
  insert_metrics("log_stage_epoch", run_id, epoch, 0, metrics, false);
}

void ResultsStore::insert_metrics(const char* op, const std::string& run_id, int64_t epoch,
                                  int64_t step, const std::map<std::string, double>& metrics,
                                  bool main_epoch) {
  require_writable(op);
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement run(*db_,
                          main_epoch ? "UPDATE run SET epochs_done = ?2, heartbeat_at = " DFKD_NOW
                                       " WHERE run_id = ?1"
                                     : "UPDATE run SET heartbeat_at = " DFKD_NOW " WHERE run_id = ?1");
    run.bind(1, run_id);
    if (main_epoch) run.bind(2, static_cast<int64_t>(epoch));
    run.exec();
    if (db_->getChanges() != 1) fail(path_, op, "no run with id '" + run_id + "'");
    SQLite::Statement st(*db_,
                         "INSERT INTO metric (run_id, key, epoch, step, value) "
                         "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, key, epoch) "
                         "DO UPDATE SET step = excluded.step, value = excluded.value");
    for (const auto& [key, value] : metrics) {
      st.bind(1, run_id);
      st.bind(2, key);
      st.bind(3, static_cast<int64_t>(epoch));
      st.bind(4, static_cast<int64_t>(step));
      if (std::isnan(value))
        st.bind(5);  // SQLite has no NaN; NULL reads back as NaN
      else
        st.bind(5, value);
      st.exec();
      st.reset();
    }
    tx.commit();
  });
}

void ResultsStore::truncate_metrics(const std::string& run_id, int64_t after_epoch) {
  const char* op = "truncate_metrics";
  require_writable(op);
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement run(*db_,
                          "UPDATE run SET epochs_done = min(epochs_done, ?2) WHERE run_id = ?1");
    run.bind(1, run_id);
    run.bind(2, static_cast<int64_t>(after_epoch));
    run.exec();
    if (db_->getChanges() != 1) fail(path_, op, "no run with id '" + run_id + "'");
    SQLite::Statement st(*db_, "DELETE FROM metric WHERE run_id = ?1 AND epoch > ?2 AND instr(key, '/') = 0");
    st.bind(1, run_id);
    st.bind(2, static_cast<int64_t>(after_epoch));
    st.exec();
    tx.commit();
  });
}

/// Replaces the run's params with its flattened config_json. Call inside a transaction.
void ResultsStore::write_params(const std::string& run_id) {
  SQLite::Statement cfg(*db_, "SELECT config_json FROM run WHERE run_id = ?1");
  cfg.bind(1, run_id);
  if (!cfg.executeStep()) return;
  const std::string config_text = text(cfg.getColumn(0));
  std::vector<Param> params;
  flatten(config_text.empty() ? json() : parse_stored_json(config_text, "run " + run_id + " config_json"),
          "", params);
  SQLite::Statement del(*db_, "DELETE FROM param WHERE run_id = ?1");
  del.bind(1, run_id);
  del.exec();
  SQLite::Statement ins(*db_,
                        "INSERT OR REPLACE INTO param (run_id, key, value_type, value_text, "
                        "value_real) VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const auto& p : params) {
    ins.bind(1, run_id);
    ins.bind(2, p.key);
    ins.bind(3, p.type);
    if (p.text_null)
      ins.bind(4);
    else
      ins.bind(4, p.text);
    if (p.real && std::isfinite(*p.real))
      ins.bind(5, *p.real);
    else
      ins.bind(5);
    ins.exec();
    ins.reset();
  }
}

void ResultsStore::complete_run(const std::string& run_id,
                                const std::vector<MetricSummary>& summaries,
                                double wall_seconds) {
  const char* op = "complete_run";
  require_writable(op);
  for (const auto& s : summaries) {
    if (s.key.empty()) fail(path_, op, "a metric summary has an empty key");
    if (s.mode != "max" && s.mode != "min")
      fail(path_, op,
           fmt::format("metric summary '{}' has mode '{}' (expected 'max' or 'min')", s.key,
                       s.mode));
  }
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement status(*db_, "SELECT status FROM run WHERE run_id = ?1");
    status.bind(1, run_id);
    if (!status.executeStep()) fail(path_, op, "no run with id '" + run_id + "'");
    if (text(status.getColumn(0)) == "completed")
      fail(path_, op, "run '" + run_id + "' is already completed");

    SQLite::Statement del(*db_, "DELETE FROM metric_summary WHERE run_id = ?1");
    del.bind(1, run_id);
    del.exec();
    SQLite::Statement ins(*db_,
                          "INSERT INTO metric_summary (run_id, key, final_value, best_value, "
                          "best_epoch, mode) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const auto& s : summaries) {
      ins.bind(1, run_id);
      ins.bind(2, s.key);
      if (std::isnan(s.final_value))
        ins.bind(3);
      else
        ins.bind(3, s.final_value);
      if (std::isnan(s.best_value))
        ins.bind(4);
      else
        ins.bind(4, s.best_value);
      ins.bind(5, static_cast<int64_t>(s.best_epoch));
      ins.bind(6, s.mode);
      ins.exec();
      ins.reset();
    }
    write_params(run_id);
    SQLite::Statement upd(*db_,
                          "UPDATE run SET status = 'completed', finished_at = " DFKD_NOW
                          ", heartbeat_at = " DFKD_NOW ", wall_seconds = ?2, error = NULL "
                          "WHERE run_id = ?1");
    upd.bind(1, run_id);
    upd.bind(2, wall_seconds);
    upd.exec();
    tx.commit();
  });
}

void ResultsStore::end_run(const std::string& run_id, RunStatus status, const std::string& error,
                           double wall_seconds) {
  const char* op = "end_run";
  require_writable(op);
  if (status != RunStatus::Failed && status != RunStatus::Killed)
    throw std::invalid_argument(fmt::format(
        "results store '{}': {}: status must be failed or killed, not {} (use complete_run to "
        "complete a run)",
        path_.string(), op, to_string(status)));
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement current(*db_, "SELECT status FROM run WHERE run_id = ?1");
    current.bind(1, run_id);
    if (!current.executeStep()) fail(path_, op, "no run with id '" + run_id + "'");
    if (text(current.getColumn(0)) == "completed")
      fail(path_, op, "run '" + run_id + "' is already completed; refusing to mark it " +
                          to_string(status));
    write_params(run_id);
    SQLite::Statement upd(*db_,
                          "UPDATE run SET status = ?2, error = ?3, finished_at = " DFKD_NOW
                          ", wall_seconds = ?4 WHERE run_id = ?1");
    upd.bind(1, run_id);
    upd.bind(2, to_string(status));
    upd.bind(3, error);
    upd.bind(4, wall_seconds);
    upd.exec();
    tx.commit();
  });
}

bool ResultsStore::reset_run(const std::string& run_id, double stale_after_seconds) {
  const char* op = "reset_run";
  require_writable(op);
  return guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement upd(
        *db_,
        "UPDATE run SET status = 'planned', started_at = NULL, finished_at = NULL, "
        "heartbeat_at = NULL, wall_seconds = 0, epochs_done = 0, error = NULL "
        "WHERE run_id = ?1 AND (status <> 'running' OR heartbeat_at IS NULL OR " DFKD_HEARTBEAT_AGE
        " > ?2)");
    upd.bind(1, run_id);
    upd.bind(2, stale_after_seconds);
    upd.exec();
    if (db_->getChanges() != 1) {
      SQLite::Statement exists(*db_, "SELECT 1 FROM run WHERE run_id = ?1");
      exists.bind(1, run_id);
      if (!exists.executeStep()) fail(path_, op, "no run with id '" + run_id + "'");
      return false;
    }
    for (const char* table : {"metric", "metric_summary", "param", "run_input"}) {
      SQLite::Statement del(*db_, fmt::format("DELETE FROM {} WHERE run_id = ?1", table));
      del.bind(1, run_id);
      del.exec();
    }
    tx.commit();
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Artifacts and metrics

std::string ResultsStore::add_artifact(const ArtifactRecord& artifact) {
  const char* op = "add_artifact";
  require_writable(op);
  if (artifact.kind.empty()) fail(path_, op, "artifact kind is empty");
  if (artifact.path.empty()) fail(path_, op, "artifact path is empty");
  const std::string id = artifact.artifact_id.empty() ? random_id() : artifact.artifact_id;
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement exists(*db_, "SELECT 1 FROM run WHERE run_id = ?1");
    exists.bind(1, artifact.run_id);
    if (!exists.executeStep()) fail(path_, op, "no run with id '" + artifact.run_id + "'");
    SQLite::Statement st(*db_,
                         "INSERT OR REPLACE INTO artifact (artifact_id, run_id, kind, path, "
                         "sha256, bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, " DFKD_NOW
                         ")");
    st.bind(1, id);
    st.bind(2, artifact.run_id);
    st.bind(3, artifact.kind);
    st.bind(4, artifact.path);
    st.bind(5, artifact.sha256);
    st.bind(6, static_cast<int64_t>(artifact.bytes));
    st.exec();
    tx.commit();
  });
  return id;
}

std::vector<ArtifactRecord> ResultsStore::artifacts(const std::string& run_id,
                                                    const std::string& kind) const {
  return guarded(path_, "artifacts", [&] {
    std::vector<ArtifactRecord> out;
    SQLite::Statement st(*db_,
                         "SELECT artifact_id, run_id, kind, path, sha256, bytes, created_at "
                         "FROM artifact WHERE run_id = ?1 AND (?2 = '' OR kind = ?2) "
                         "ORDER BY created_at, rowid");
    st.bind(1, run_id);
    st.bind(2, kind);
    while (st.executeStep()) {
      ArtifactRecord a;
      a.artifact_id = text(st.getColumn(0));
      a.run_id = text(st.getColumn(1));
      a.kind = text(st.getColumn(2));
      a.path = text(st.getColumn(3));
      a.sha256 = text(st.getColumn(4));
      a.bytes = st.getColumn(5).getInt64();
      a.created_at = text(st.getColumn(6));
      out.push_back(std::move(a));
    }
    return out;
  });
}

std::vector<MetricPoint> ResultsStore::metric_series(const std::string& run_id,
                                                     const std::string& key) const {
  return guarded(path_, "metric_series", [&] {
    std::vector<MetricPoint> out;
    SQLite::Statement st(*db_,
                         "SELECT epoch, step, value FROM metric WHERE run_id = ?1 AND key = ?2 "
                         "ORDER BY epoch");
    st.bind(1, run_id);
    st.bind(2, key);
    while (st.executeStep())
      out.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getInt64(),
                     real_or_nan(st.getColumn(2))});
    return out;
  });
}

std::vector<std::string> ResultsStore::metric_keys(const std::string& run_id) const {
  return guarded(path_, "metric_keys", [&] {
    std::vector<std::string> out;
    SQLite::Statement st(*db_,
                         "SELECT DISTINCT key FROM metric WHERE run_id = ?1 ORDER BY key");
    st.bind(1, run_id);
    while (st.executeStep()) out.push_back(text(st.getColumn(0)));
    return out;
  });
}

std::vector<MetricSummary> ResultsStore::summaries(const std::string& run_id) const {
  return guarded(path_, "summaries", [&] {
    std::vector<MetricSummary> out;
    SQLite::Statement st(*db_,
                         "SELECT key, final_value, best_value, best_epoch, mode "
                         "FROM metric_summary WHERE run_id = ?1 ORDER BY key");
    st.bind(1, run_id);
    while (st.executeStep()) {
      MetricSummary s;
      s.key = text(st.getColumn(0));
      s.final_value = real_or_nan(st.getColumn(1));
      s.best_value = real_or_nan(st.getColumn(2));
      s.best_epoch = st.getColumn(3).getInt64();
      s.mode = text(st.getColumn(4));
      out.push_back(std::move(s));
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Read-only SQL

ResultsStore::QueryResult ResultsStore::query(const std::string& sql) const {
  QueryResult result;
  query(
      sql, QueryLimits{}, [&](const std::vector<std::string>& columns) { result.columns = columns; },
      [&](const std::vector<json>& row) { result.rows.push_back(row); });
  return result;
}

ResultsStore::QueryEnd ResultsStore::query(const std::string& sql, const QueryLimits& limits,
                                           const QueryColumns& on_columns,
                                           const QueryRow& on_row) const {
  const char* op = "query";
  static const char* const kWriting[] = {"INSERT", "UPDATE", "DELETE",  "REPLACE", "CREATE",
                                         "DROP",   "ALTER",  "ATTACH",  "DETACH",  "VACUUM",
                                         "REINDEX", "ANALYZE", "UPSERT"};
  const std::string first = upper_first_word(sql);
  if (first.empty()) fail(path_, op, "empty SQL statement");
  for (const char* w : kWriting)
    if (first == w)
      fail(path_, op,
           fmt::format("refused {} statement: dfkd query is read-only (SELECT, WITH, EXPLAIN "
                       "or a read-only PRAGMA)",
                       first));

  return guarded(path_, op, [&] {
    // A separate connection opened read-only: even a statement that slipped past the checks
    // below could not write the store.
    const auto reader = open_reader(path_, kBusyTimeoutMs);  // works in a read-only directory too
    sqlite3* h = reader->getHandle();
    QueryAuth auth;
    sqlite3_set_authorizer(h, &query_authorizer, &auth);

    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(h, sql.c_str(), -1, &raw, &tail);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) {
      if (!auth.denied.empty())
        fail(path_, op,
             fmt::format("refused {} statement: dfkd query reads this store only", auth.denied));
      fail(path_, op, fmt::format("SQL error: {}", sqlite3_errmsg(h)));
    }
    if (!stmt) fail(path_, op, "empty SQL statement");
    // Exactly one statement: whatever follows must be only whitespace, ';' or comments.
    if (tail && *tail) {
      sqlite3_stmt* next_raw = nullptr;
      const char* next_tail = nullptr;
      const int rc2 = sqlite3_prepare_v2(h, tail, -1, &next_raw, &next_tail);
      StmtPtr next(next_raw);
      if (rc2 != SQLITE_OK || next)
        fail(path_, op, "only one SQL statement per query (found more after the first ';')");
    }
    if (!sqlite3_stmt_readonly(stmt.get())) {
      if (first == "PRAGMA")
        fail(path_, op,
             "refused PRAGMA that can change the store or its settings: dfkd query is read-only "
             "(introspection pragmas such as table_info or user_version are allowed)");
      fail(path_, op,
           fmt::format("refused statement that would modify the store ({}): dfkd query is "
                       "read-only",
                       first));
    }

    // Timeout and cancellation: SQLite calls this every kProgressOps virtual-machine steps, also
    // inside a step that never returns a row (an endless recursive CTE under count(*)); a
    // non-zero return makes the step fail with SQLITE_INTERRUPT.
    struct Watch {
      const QueryLimits* limits;
      std::chrono::steady_clock::time_point deadline;
      QueryEnd reason = QueryEnd::Done;
      bool check() {
        if (limits->cancelled && limits->cancelled()) reason = QueryEnd::Cancelled;
        else if (limits->timeout_seconds > 0 && std::chrono::steady_clock::now() >= deadline)
          reason = QueryEnd::Timeout;
        return reason != QueryEnd::Done;
      }
    } watch{&limits, {}};
    if (limits.timeout_seconds > 0)
      watch.deadline = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(limits.timeout_seconds));
    constexpr int kProgressOps = 1000;
    if (limits.timeout_seconds > 0 || limits.cancelled)
      sqlite3_progress_handler(
          h, kProgressOps, [](void* w) -> int { return static_cast<Watch*>(w)->check() ? 1 : 0; },
          &watch);

    const int ncol = sqlite3_column_count(stmt.get());
    std::vector<std::string> columns;
    for (int c = 0; c < ncol; ++c) {
      const char* name = sqlite3_column_name(stmt.get(), c);
      columns.emplace_back(name ? name : "");
    }
    on_columns(columns);
    int64_t rows = 0;
    std::vector<json> row;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      if (limits.max_rows > 0 && rows == limits.max_rows) return QueryEnd::RowLimit;
      row.clear();
      row.reserve(static_cast<size_t>(ncol));
      for (int c = 0; c < ncol; ++c) {
        switch (sqlite3_column_type(stmt.get(), c)) {
          case SQLITE_INTEGER:
            row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt.get(), c)));
            break;
          case SQLITE_FLOAT:
            row.emplace_back(sqlite3_column_double(stmt.get(), c));
            break;
          case SQLITE_TEXT: {
            const auto* p = sqlite3_column_text(stmt.get(), c);
            const int n = sqlite3_column_bytes(stmt.get(), c);
            row.emplace_back(std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)));
            break;
          }
          case SQLITE_BLOB:
            row.emplace_back(fmt::format("<blob {} bytes>", sqlite3_column_bytes(stmt.get(), c)));
            break;
          default:
            row.emplace_back(nullptr);
        }
      }
      on_row(row);
      ++rows;
      // Rows that come quickly may never reach the progress handler's step count.
      if ((limits.timeout_seconds > 0 || limits.cancelled) && watch.check()) return watch.reason;
    }
    if (rc == SQLITE_INTERRUPT && watch.reason != QueryEnd::Done) return watch.reason;
    if (rc != SQLITE_DONE) fail(path_, op, fmt::format("SQL error: {}", sqlite3_errmsg(h)));
    return QueryEnd::Done;
  });
}

}  // namespace dfkd::host
