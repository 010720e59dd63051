// ResultsStore::merge_run: one run of another store file (a Slurm sweep shard, or the store a
// shard borrows its teacher from) copied into this store in one BEGIN IMMEDIATE transaction.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <tuple>

#include "store/artifact_files.hpp"
#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "store/store_rows.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;

namespace dfkd::host {
namespace {

using store_detail::fail;

constexpr const char* kOp = "merge_run";

/// The fields that change while a run trains: equal fields mean the same outcome was merged.
struct RunState {
  std::string run_id, status, finished_at, heartbeat_at, error;
  int64_t attempt = 0, epochs_done = 0;
  double heartbeat_age = 0;
  auto key() const {
    return std::tie(status, finished_at, heartbeat_at, error, attempt, epochs_done);
  }
};

RunState read_run_state(store_detail::Row& row) {
  RunState s;
  s.run_id = row.text();
  s.status = row.text();
  s.finished_at = row.text();
  s.heartbeat_at = row.text();
  s.error = row.text();
  s.attempt = row.integer();
  s.epochs_done = row.integer();
  s.heartbeat_age = row.real();
  return s;
}

/// The state of run `run_key` in the attached database `schema` ("main" or "src").
std::optional<RunState> find_run_state(SQLite::Database& db, const std::string& schema,
                                       const std::string& run_key) {
  SQLite::Statement st(
      db, fmt::format("SELECT run_id, status, finished_at, heartbeat_at, error, attempt, "
                      "epochs_done, coalesce((julianday('now') - julianday(heartbeat_at)) "
                      "* 86400.0, 1e18) FROM {}.run WHERE run_key = ?1",
                      schema));
  st.bind(1, run_key);
  return store_detail::read_first_row(st, read_run_state);
}

/// Copies `from` into this store's artifact directory `dir` as an immutable content-addressed
/// file (store/artifact_files.hpp), checking it against its recorded sha256 on the way.
PublishedFile copy_artifact(const fs::path& from, const fs::path& dir, const std::string& kind,
                            const std::string& sha256) {
  fs::create_directories(dir);
  const fs::path tmp = dir / (from.filename().string() + ".ingest-tmp");
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  if (!sha256.empty() && sha256_file(tmp) != sha256) {
    fs::remove(tmp);
    throw std::runtime_error(
        fmt::format("artifact '{}' does not match its recorded sha256 {} (truncated "
                    "copy?); copy the shard again",
                    from.string(), sha256));
  }
  return publish_artifact(tmp, dir, kind, from.extension().string());
}

bool has_table(SQLite::Database& db, const std::string& schema, const std::string& table) {
  SQLite::Statement st(
      db, fmt::format("SELECT 1 FROM {}.sqlite_master WHERE type = 'table' AND name = ?1", schema));
  st.bind(1, table);
  return st.executeStep();
}

/// ATTACH for the lifetime of the object (DETACH cannot run inside a transaction, so the
/// transaction lives in a narrower scope).
class Attached {
 public:
  Attached(SQLite::Database& db, const fs::path& file) : db_(db) {
    SQLite::Statement st(db_, "ATTACH DATABASE ?1 AS src");
    st.bind(1, file.string());
    st.exec();
  }
  ~Attached() {
    try {
      db_.exec("DETACH DATABASE src");
    } catch (...) {  // never throw from a destructor; the connection closes later anyway
    }
  }
  Attached(const Attached&) = delete;
  Attached& operator=(const Attached&) = delete;

 private:
  SQLite::Database& db_;
};

/// Runs `sql` with `args` bound to ?1, ?2, ... in order.
template <class... Args>
void exec(SQLite::Database& db, const std::string& sql, const Args&... args) {
  SQLite::Statement st(db, sql);
  int i = 0;
  (st.bind(++i, args), ...);
  st.exec();
}

void check_source_schema(SQLite::Database& db, const fs::path& store, const fs::path& source) {
  SQLite::Statement v(db, "PRAGMA src.user_version");
  v.executeStep();
  const int version = v.getColumn(0).getInt();
  constexpr int newest = ResultsStore::kSchemaVersion;
  if (version < 1 || version > newest)
    fail(store, kOp,
         fmt::format("'{}' has schema version {}; this dfkd merges versions 1 to {}{}",
                     source.string(), version, newest, version > newest ? " (upgrade dfkd)" : ""));
}

/// What to answer without writing anything: this store already holds the source's outcome, or
/// keeps its own run (completed, trained right now, or its own attempt where an archived failure
/// would replace it). nullopt: the source's run is merged.
std::optional<MergeResult> outcome_without_merging(const std::optional<RunState>& here,
                                                   const RunState& src,
                                                   const MergeOptions& options) {
  if (!here) return std::nullopt;
  MergeResult result;
  result.run_id = here->run_id;
  result.status = here->status;
  if (here->key() == src.key()) return result;  // Unchanged
  if (here->status == "completed") {
    result.outcome = MergeResult::Outcome::KeptCompleted;
    return result;
  }
  if (here->status == "running" && here->heartbeat_age < ResultsStore::kStaleHeartbeatSeconds) {
    result.outcome = MergeResult::Outcome::HeldHere;
    return result;
  }
  if (options.failure_only_where_unstarted && src.status == "failed" && here->status != "planned") {
    result.outcome = MergeResult::Outcome::KeptOwnAttempt;
    return result;
  }
  return std::nullopt;
}

/// Runs of the attached source whose teacher is run `run_key`.
int64_t count_source_students(SQLite::Database& db, const std::string& run_key) {
  SQLite::Statement st(db, "SELECT count(*) FROM src.run WHERE parent_run_key = ?1");
  st.bind(1, run_key);
  st.executeStep();
  return st.getColumn(0).getInt64();
}

/// Which run is merged: `id` here, `src_id` in the source, both with key `run_key`.
struct MergedRun {
  std::string id, src_id, run_key;
};

/// The columns `table` has in both stores, comma-separated: a source of an older schema lacks
/// the newer ones, which then take their defaults here.
std::string shared_columns(SQLite::Database& db, const std::string& table) {
  auto columns_of = [&](const std::string& schema) {
    std::vector<std::string> names;
    SQLite::Statement st(db, fmt::format("PRAGMA {}.table_info({})", schema, table));
    while (st.executeStep()) names.push_back(st.getColumn(1).getString());
    return names;
  };
  const auto theirs = columns_of("src");
  std::string list;
  for (const auto& c : columns_of("main"))
    if (std::find(theirs.begin(), theirs.end(), c) != theirs.end())
      list += (list.empty() ? "" : ", ") + c;
  return list;
}

/// Content-addressed rows the run references: copied first, never replaced.
void copy_referenced_rows(SQLite::Database& db, const MergedRun& run) {
  const auto experiment = shared_columns(db, "experiment");
  exec(db,
       fmt::format("INSERT OR IGNORE INTO main.experiment ({0}) SELECT {0} FROM src.experiment "
                   "WHERE name = (SELECT experiment FROM src.run WHERE run_id = ?1)",
                   experiment),
       run.src_id);
  const auto environment = shared_columns(db, "environment");
  exec(db,
       fmt::format("INSERT OR IGNORE INTO main.environment ({0}) SELECT {0} FROM src.environment "
                   "WHERE environment_id = (SELECT environment_id FROM src.run WHERE run_id = ?1)",
                   environment),
       run.src_id);
  exec(db,
       "INSERT OR IGNORE INTO main.plugin SELECT p.* FROM src.plugin p JOIN src.run_plugin rp "
       "ON rp.plugin_id = p.plugin_id WHERE rp.run_id = ?1",
       run.src_id);
}

/// The run row itself; a lost run is recorded as killed with `lost_reason`.
void merge_run_row(SQLite::Database& db, const MergedRun& run, bool already_here,
                   const std::string& lost_reason) {
  const char* mutable_columns =
      "status, attempt, started_at, finished_at, heartbeat_at, claimed_by, "
      "wall_seconds, epochs_done, error, environment_id";
  if (already_here) {
    // Keep this store's id, planning fields and parent link; take the outcome.
    exec(db,
         fmt::format("UPDATE main.run SET ({0}) = (SELECT {0} FROM src.run WHERE run_id = ?2) "
                     "WHERE run_id = ?1",
                     mutable_columns),
         run.id, run.src_id);
  } else {
    exec(db,
         "INSERT INTO main.run (run_id, run_key, experiment, row, column_name, seed, profile, "
         "role, method, "
         "status, attempt, parent_run_key, parent_run_id, config_json, created_at, started_at, "
         "finished_at, "
         "heartbeat_at, claimed_by, wall_seconds, epochs_done, error, environment_id) "
         "SELECT run_id, run_key, experiment, row, column_name, seed, profile, role, method, "
         "status, attempt, "
         "parent_run_key, (SELECT m.run_id FROM main.run m WHERE m.run_key = s.parent_run_key), "
         "config_json, "
         "created_at, started_at, finished_at, heartbeat_at, claimed_by, wall_seconds, "
         "epochs_done, error, "
         "environment_id FROM src.run s WHERE s.run_id = ?1",
         run.src_id);
    // Students merged before their teacher learn its id now.
    exec(db,
         "UPDATE main.run SET parent_run_id = ?1 WHERE parent_run_key = ?2 AND parent_run_id IS "
         "NULL",
         run.id, run.run_key);
  }
  if (!lost_reason.empty())
    exec(db,
         "UPDATE main.run SET status = 'killed', error = ?2, claimed_by = NULL WHERE run_id = ?1",
         run.id, lost_reason);
}

/// The source's table cells that read run `run_key`, with their experiments' definitions. Done
/// whether or not the run itself is merged: two archives (Table 1's, the ablation's) often
/// share runs, and the second one's cells must still point at the run the first one brought.
void link_source_cells(SQLite::Database& db, const std::string& run_key) {
  exec(db,
       fmt::format("INSERT OR IGNORE INTO main.experiment ({0}) SELECT {0} FROM src.experiment "
                   "WHERE name IN (SELECT experiment FROM src.cell WHERE run_key = ?1)",
                   shared_columns(db, "experiment")),
       run_key);
  exec(db,
       "INSERT OR REPLACE INTO main.cell (experiment, profile, row, column_name, seed, run_key) "
       "SELECT experiment, profile, row, column_name, seed, run_key FROM src.cell WHERE run_key = "
       "?1",
       run_key);
}

/// Per-run rows (artifact rows aside) are replaced wholesale by the source's.
void replace_per_run_rows(SQLite::Database& db, const MergedRun& run) {
  for (const char* table :
       {"metric", "metric_summary", "param", "run_plugin", "artifact", "run_input"})
    exec(db, fmt::format("DELETE FROM main.{} WHERE run_id = ?1", table), run.id);
  exec(db,
       "INSERT INTO main.metric (run_id, key, epoch, step, value) "
       "SELECT ?1, key, epoch, step, value FROM src.metric WHERE run_id = ?2",
       run.id, run.src_id);
  exec(db,
       "INSERT INTO main.metric_summary (run_id, key, final_value, best_value, best_epoch, mode) "
       "SELECT ?1, key, final_value, best_value, best_epoch, mode FROM src.metric_summary WHERE "
       "run_id = ?2",
       run.id, run.src_id);
  exec(db,
       "INSERT INTO main.param (run_id, key, value_type, value_text, value_real) "
       "SELECT ?1, key, value_type, value_text, value_real FROM src.param WHERE run_id = ?2",
       run.id, run.src_id);
  if (has_table(db, "src", "run_input"))  // shards of dfkd before store schema 3 have none
    exec(db,
         "INSERT INTO main.run_input (run_id, role, artifact_id, sha256) "
         "SELECT ?1, role, artifact_id, sha256 FROM src.run_input WHERE run_id = ?2",
         run.id, run.src_id);
  exec(db,
       "INSERT INTO main.run_plugin (run_id, plugin_id) SELECT ?1, plugin_id FROM src.run_plugin "
       "WHERE run_id = ?2",
       run.id, run.src_id);
}

/// Where the merged run's artifact files come from and where their rows point.
struct ArtifactPlacement {
  MergeOptions::Artifacts mode;
  fs::path source_dir;  ///< relative paths of the source store are under this folder
  fs::path store_dir;   ///< this store's folder: copied files are recorded relative to it
  fs::path copy_dir;    ///< this store's artifact folder for the run (CopyFiles)
};

/// The path the artifact row records for the source's file `file`.
std::string place_artifact(const fs::path& file, const ArtifactRecord& artifact,
                           const ArtifactPlacement& place) {
  if (place.mode == MergeOptions::Artifacts::ReferenceInPlace) return file.string();
  // Files land in this store's own artifact directory, never over an existing file.
  const auto published = copy_artifact(file, place.copy_dir, artifact.kind, artifact.sha256);
  return fs::relative(published.path, place.store_dir).string();
}

void merge_artifacts(SQLite::Database& db, const fs::path& store, const MergedRun& run,
                     const ArtifactPlacement& place) {
  if (place.mode == MergeOptions::Artifacts::Omit) return;
  SQLite::Statement arts(db, fmt::format("SELECT {} FROM src.artifact WHERE run_id = ?1",
                                         store_detail::kArtifactColumns));
  arts.bind(1, run.src_id);
  SQLite::Statement ins(
      db,
      "INSERT OR REPLACE INTO main.artifact (artifact_id, run_id, kind, path, sha256, "
      "bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const auto& artifact : store_detail::read_rows(arts, store_detail::read_artifact)) {
    const fs::path recorded = artifact.path;
    const fs::path file = recorded.is_absolute() ? recorded : place.source_dir / recorded;
    if (!fs::exists(file))
      fail(store, kOp,
           fmt::format(
               "artifact file '{}' of run {} is missing; copy the shard's artifact directory "
               "(run.db-artifacts/) together with its run.db",
               file.string(), run.run_key));
    ins.bind(1, artifact.artifact_id);
    ins.bind(2, run.id);
    ins.bind(3, artifact.kind);
    ins.bind(4, place_artifact(file, artifact, place));
    ins.bind(5, artifact.sha256);
    ins.bind(6, artifact.bytes);
    ins.bind(7, artifact.created_at);
    ins.exec();
    ins.reset();
  }
}

void log_ingest(SQLite::Database& db, const MergedRun& run, const std::string& status,
                const MergeOptions& options) {
  exec(db,
       "INSERT INTO main.ingest_log (run_id, run_key, status, source, sweep_id, slurm_job) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
       run.id, run.run_key, status, options.source, options.sweep_id, options.slurm_job);
}

}  // namespace

MergeResult ResultsStore::merge_run(const fs::path& source_db, const std::string& run_key,
                                    const MergeOptions& options) {
  require_writable(kOp);
  const fs::path source = fs::absolute(source_db);
  if (!fs::exists(source))
    fail(path_, kOp, fmt::format("no such store file '{}'", source.string()));
  try {
    Attached attached(*db_, source);
    check_source_schema(*db_, path_, source);
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    auto src = find_run_state(*db_, "src", run_key);
    if (!src)
      fail(path_, kOp, fmt::format("'{}' holds no run with key {}", source.string(), run_key));
    if (!options.lost_reason.empty()) {
      src->status = "killed";
      src->error = options.lost_reason;
    }
    const auto here = find_run_state(*db_, "main", run_key);
    if (auto answer = outcome_without_merging(here, *src, options)) {
      link_source_cells(*db_, run_key);  // the run stays as it is here; its cells are linked
      if (answer->outcome == MergeResult::Outcome::KeptCompleted)
        answer->source_students = count_source_students(*db_, run_key);
      tx.commit();
      return *answer;
    }

    const MergedRun run{here ? here->run_id : src->run_id, src->run_id, run_key};
    copy_referenced_rows(*db_, run);
    merge_run_row(*db_, run, here.has_value(), options.lost_reason);
    replace_per_run_rows(*db_, run);
    link_source_cells(*db_, run_key);
    merge_artifacts(
        *db_, path_, run,
        {options.artifacts, source.parent_path(), path_.parent_path(), artifact_root() / run_key});
    if (!options.source.empty()) log_ingest(*db_, run, src->status, options);
    tx.commit();
    MergeResult result;
    result.outcome = MergeResult::Outcome::Merged;
    result.run_id = run.id;
    result.status = src->status;
    return result;
  } catch (const SQLite::Exception& e) {
    fail(path_, kOp,
         fmt::format("merging run {} from '{}': {}", run_key, source.string(), e.what()));
  } catch (const fs::filesystem_error& e) {
    fail(path_, kOp,
         fmt::format("merging run {} from '{}': {}", run_key, source.string(), e.what()));
  }
}

std::vector<IngestLogEntry> ResultsStore::ingest_log(const std::string& run_key) const {
  try {
    SQLite::Statement st(*db_,
                         fmt::format("SELECT {} FROM ingest_log WHERE ?1 = '' OR run_key = ?1 "
                                     "ORDER BY rowid DESC",
                                     store_detail::kIngestLogColumns));
    st.bind(1, run_key);
    return store_detail::read_rows(st, store_detail::read_ingest_log_entry);
  } catch (const SQLite::Exception& e) {
    // Says "merge_run: ingest_log: ..." as it always has: kept for identical messages.
    fail(path_, kOp, std::string("ingest_log: ") + e.what());
  }
}

}  // namespace dfkd::host
