// ResultsStore::merge_run: one run of another store file (a Slurm sweep shard, or the store a
// shard borrows its teacher from) copied into this store in one BEGIN IMMEDIATE transaction.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <tuple>

#include "store/artifact_files.hpp"
#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;

namespace dfkd::host {
namespace {

[[noreturn]] void fail(const fs::path& store, const std::string& message) {
  throw std::runtime_error(fmt::format("results store '{}': merge_run: {}", store.string(), message));
}

using store_detail::text;

/// The fields that change while a run trains: equal fields mean the same outcome was merged.
struct RunState {
  std::string run_id, status, finished_at, heartbeat_at, error;
  int64_t attempt = 0, epochs_done = 0;
  double heartbeat_age = 0;
  auto key() const { return std::tie(status, finished_at, heartbeat_at, error, attempt, epochs_done); }
};

std::optional<RunState> read_state(SQLite::Database& db, const std::string& schema, const std::string& run_key) {
  SQLite::Statement st(db, fmt::format("SELECT run_id, status, finished_at, heartbeat_at, error, attempt, "
                                       "epochs_done, coalesce((julianday('now') - julianday(heartbeat_at)) "
                                       "* 86400.0, 1e18) FROM {}.run WHERE run_key = ?1",
                                       schema));
  st.bind(1, run_key);
  if (!st.executeStep()) return std::nullopt;
  return RunState{text(st.getColumn(0)), text(st.getColumn(1)), text(st.getColumn(2)), text(st.getColumn(3)),
                  text(st.getColumn(4)), st.getColumn(5).getInt64(), st.getColumn(6).getInt64(),
                  st.getColumn(7).getDouble()};
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
    throw std::runtime_error(fmt::format("artifact '{}' does not match its recorded sha256 {} (truncated "
                                         "copy?); copy the shard again",
                                         from.string(), sha256));
  }
  return publish_artifact(tmp, dir, kind, from.extension().string());
}

bool has_table(SQLite::Database& db, const std::string& schema, const std::string& table) {
  SQLite::Statement st(db, fmt::format("SELECT 1 FROM {}.sqlite_master WHERE type = 'table' AND name = ?1", schema));
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

}  // namespace

MergeResult ResultsStore::merge_run(const fs::path& source_db, const std::string& run_key,
                                    const MergeOptions& options) {
  require_writable("merge_run");
  const fs::path source = fs::absolute(source_db);
  const fs::path source_dir = source.parent_path();
  const fs::path store_dir = path_.parent_path();
  if (!fs::exists(source)) fail(path_, fmt::format("no such store file '{}'", source.string()));
  try {
    Attached attached(*db_, source);
    {
      SQLite::Statement v(*db_, "PRAGMA src.user_version");
      v.executeStep();
      const int version = v.getColumn(0).getInt();
      if (version < 1 || version > kSchemaVersion)
        fail(path_, fmt::format("'{}' has schema version {}; this dfkd merges versions 1 to {}{}", source.string(),
                                version, kSchemaVersion, version > kSchemaVersion ? " (upgrade dfkd)" : ""));
    }
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    auto src = read_state(*db_, "src", run_key);
    if (!src) fail(path_, fmt::format("'{}' holds no run with key {}", source.string(), run_key));
    if (!options.lost_reason.empty()) {
      src->status = "killed";
      src->error = options.lost_reason;
    }
    const auto here = read_state(*db_, "main", run_key);
    MergeResult result;
    result.run_id = here ? here->run_id : src->run_id;
    if (here && here->key() == src->key()) {
      result.status = here->status;
      return result;  // Unchanged; tx rolls back, nothing was written
    }
    if (here && here->status == "completed") {
      result.outcome = MergeResult::Outcome::KeptCompleted;
      result.status = here->status;
      return result;
    }
    if (here && here->status == "running" && here->heartbeat_age < kStaleHeartbeatSeconds) {
      result.outcome = MergeResult::Outcome::HeldHere;
      result.status = here->status;
      return result;
    }
    const std::string& id = result.run_id;
    auto exec = [&](const std::string& sql, auto... args) {
      SQLite::Statement st(*db_, sql);
      int i = 0;
      (st.bind(++i, args), ...);
      st.exec();
    };

    // Content-addressed rows first: the run references them.
    exec("INSERT OR IGNORE INTO main.experiment SELECT * FROM src.experiment WHERE name = "
         "(SELECT experiment FROM src.run WHERE run_id = ?1)", src->run_id);
    exec("INSERT OR IGNORE INTO main.environment SELECT * FROM src.environment WHERE environment_id = "
         "(SELECT environment_id FROM src.run WHERE run_id = ?1)", src->run_id);
    exec("INSERT OR IGNORE INTO main.plugin SELECT p.* FROM src.plugin p JOIN src.run_plugin rp "
         "ON rp.plugin_id = p.plugin_id WHERE rp.run_id = ?1", src->run_id);

    const char* mutable_columns = "status, attempt, started_at, finished_at, heartbeat_at, claimed_by, "
                                  "wall_seconds, epochs_done, error, environment_id";
    if (here) {
      // Keep this store's id, planning fields and parent link; take the outcome.
      exec(fmt::format("UPDATE main.run SET ({0}) = (SELECT {0} FROM src.run WHERE run_id = ?2) WHERE run_id = ?1",
                       mutable_columns),
           id, src->run_id);
    } else {
      exec("INSERT INTO main.run (run_id, run_key, experiment, row, column_name, seed, profile, role, method, "
           "status, attempt, parent_run_key, parent_run_id, config_json, created_at, started_at, finished_at, "
           "heartbeat_at, claimed_by, wall_seconds, epochs_done, error, environment_id) "
           "SELECT run_id, run_key, experiment, row, column_name, seed, profile, role, method, status, attempt, "
           "parent_run_key, (SELECT m.run_id FROM main.run m WHERE m.run_key = s.parent_run_key), config_json, "
           "created_at, started_at, finished_at, heartbeat_at, claimed_by, wall_seconds, epochs_done, error, "
           "environment_id FROM src.run s WHERE s.run_id = ?1",
           src->run_id);
      // Students merged before their teacher learn its id now.
      exec("UPDATE main.run SET parent_run_id = ?1 WHERE parent_run_key = ?2 AND parent_run_id IS NULL", id,
           run_key);
    }
    if (!options.lost_reason.empty())
      exec("UPDATE main.run SET status = 'killed', error = ?2, claimed_by = NULL WHERE run_id = ?1", id,
           options.lost_reason);

    // Per-run rows are replaced wholesale by the source's.
    for (const char* table : {"metric", "metric_summary", "param", "run_plugin", "artifact", "run_input"})
      exec(fmt::format("DELETE FROM main.{} WHERE run_id = ?1", table), id);
    exec("INSERT INTO main.metric (run_id, key, epoch, step, value) "
         "SELECT ?1, key, epoch, step, value FROM src.metric WHERE run_id = ?2", id, src->run_id);
    exec("INSERT INTO main.metric_summary (run_id, key, final_value, best_value, best_epoch, mode) "
         "SELECT ?1, key, final_value, best_value, best_epoch, mode FROM src.metric_summary WHERE run_id = ?2",
         id, src->run_id);
    exec("INSERT INTO main.param (run_id, key, value_type, value_text, value_real) "
         "SELECT ?1, key, value_type, value_text, value_real FROM src.param WHERE run_id = ?2", id, src->run_id);
    if (has_table(*db_, "src", "run_input"))  // shards of dfkd before store schema 3 have none
      exec("INSERT INTO main.run_input (run_id, role, artifact_id, sha256) "
           "SELECT ?1, role, artifact_id, sha256 FROM src.run_input WHERE run_id = ?2", id, src->run_id);
    exec("INSERT INTO main.run_plugin (run_id, plugin_id) SELECT ?1, plugin_id FROM src.run_plugin "
         "WHERE run_id = ?2", id, src->run_id);
    exec("INSERT OR REPLACE INTO main.cell (experiment, profile, row, column_name, seed, run_key) "
         "SELECT experiment, profile, row, column_name, seed, run_key FROM src.cell WHERE run_key = ?1", run_key);

    SQLite::Statement arts(*db_, "SELECT artifact_id, kind, path, sha256, bytes, created_at FROM src.artifact "
                                 "WHERE run_id = ?1");
    arts.bind(1, src->run_id);
    SQLite::Statement ins(*db_, "INSERT OR REPLACE INTO main.artifact (artifact_id, run_id, kind, path, sha256, "
                                "bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    while (arts.executeStep()) {
      const fs::path recorded = text(arts.getColumn(2));
      const fs::path file = recorded.is_absolute() ? recorded : source_dir / recorded;
      const std::string sha = text(arts.getColumn(3));
      if (!fs::exists(file))
        fail(path_, fmt::format("artifact file '{}' of run {} is missing; copy the shard's artifact directory "
                                "(run.db-artifacts/) together with its run.db", file.string(), run_key));
      std::string stored;
      if (options.artifacts == MergeOptions::Artifacts::ReferenceInPlace) {
        stored = file.string();
      } else {
        // Files land in this store's own artifact directory, never over an existing file.
        const auto published = copy_artifact(file, artifact_root() / run_key, text(arts.getColumn(1)), sha);
        stored = fs::relative(published.path, store_dir).string();
      }
      ins.bind(1, text(arts.getColumn(0)));
      ins.bind(2, id);
      ins.bind(3, text(arts.getColumn(1)));
      ins.bind(4, stored);
      ins.bind(5, sha);
      ins.bind(6, arts.getColumn(4).getInt64());
      ins.bind(7, text(arts.getColumn(5)));
      ins.exec();
      ins.reset();
    }
    if (!options.source.empty())
      exec("INSERT INTO main.ingest_log (run_id, run_key, status, source, sweep_id, slurm_job) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
           id, run_key, src->status, options.source, options.sweep_id, options.slurm_job);
    tx.commit();
    result.outcome = MergeResult::Outcome::Merged;
    result.status = src->status;
    return result;
  } catch (const SQLite::Exception& e) {
    fail(path_, fmt::format("merging run {} from '{}': {}", run_key, source.string(), e.what()));
  } catch (const fs::filesystem_error& e) {
    fail(path_, fmt::format("merging run {} from '{}': {}", run_key, source.string(), e.what()));
  }
}

std::vector<IngestLogEntry> ResultsStore::ingest_log(const std::string& run_key) const {
  try {
    std::vector<IngestLogEntry> out;
    SQLite::Statement st(*db_, "SELECT run_id, run_key, status, source, sweep_id, slurm_job, ingested_at "
                               "FROM ingest_log WHERE ?1 = '' OR run_key = ?1 ORDER BY rowid DESC");
    st.bind(1, run_key);
    while (st.executeStep())
      out.push_back({text(st.getColumn(0)), text(st.getColumn(1)), text(st.getColumn(2)), text(st.getColumn(3)),
                     text(st.getColumn(4)), text(st.getColumn(5)), text(st.getColumn(6))});
    return out;
  } catch (const SQLite::Exception& e) {
    fail(path_, std::string("ingest_log: ") + e.what());
  }
}

}  // namespace dfkd::host
