// ResultsStore: per-epoch metrics, their summaries, and a run's artifact records.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <stdexcept>

#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "store/store_rows.hpp"
#include "store/store_sql.hpp"
#include "util/hash.hpp"

namespace dfkd::host {
using store_detail::fail;
using store_detail::guarded;

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
    SQLite::Statement run(
        *db_, main_epoch ? "UPDATE run SET epochs_done = ?2, heartbeat_at = " DFKD_NOW
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
      store_detail::bind_real_or_null(st, 5, value);
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
    SQLite::Statement st(
        *db_, "DELETE FROM metric WHERE run_id = ?1 AND epoch > ?2 AND instr(key, '/') = 0");
    st.bind(1, run_id);
    st.bind(2, static_cast<int64_t>(after_epoch));
    st.exec();
    tx.commit();
  });
}

std::string ResultsStore::add_artifact(const ArtifactRecord& artifact) {
  const char* op = "add_artifact";
  require_writable(op);
  if (artifact.kind.empty()) fail(path_, op, "artifact kind is empty");
  if (artifact.path.empty()) fail(path_, op, "artifact path is empty");
  const std::string id = artifact.artifact_id.empty() ? random_id() : artifact.artifact_id;
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (!store_detail::run_exists(*db_, artifact.run_id))
      fail(path_, op, "no run with id '" + artifact.run_id + "'");
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
    SQLite::Statement st(
        *db_, fmt::format("SELECT {} FROM artifact WHERE run_id = ?1 AND (?2 = '' OR kind = ?2) "
                          "ORDER BY created_at, rowid",
                          store_detail::kArtifactColumns));
    st.bind(1, run_id);
    st.bind(2, kind);
    return store_detail::read_rows(st, store_detail::read_artifact);
  });
}

std::vector<MetricPoint> ResultsStore::metric_series(const std::string& run_id,
                                                     const std::string& key) const {
  return guarded(path_, "metric_series", [&] {
    SQLite::Statement st(*db_, fmt::format("SELECT {} FROM metric WHERE run_id = ?1 AND key = ?2 "
                                           "ORDER BY epoch",
                                           store_detail::kMetricPointColumns));
    st.bind(1, run_id);
    st.bind(2, key);
    return store_detail::read_rows(st, store_detail::read_metric_point);
  });
}

std::vector<std::string> ResultsStore::metric_keys(const std::string& run_id) const {
  return guarded(path_, "metric_keys", [&] {
    SQLite::Statement st(*db_, "SELECT DISTINCT key FROM metric WHERE run_id = ?1 ORDER BY key");
    st.bind(1, run_id);
    return store_detail::read_rows(st, store_detail::read_text);
  });
}

std::vector<MetricSummary> ResultsStore::summaries(const std::string& run_id) const {
  return guarded(path_, "summaries", [&] {
    SQLite::Statement st(*db_,
                         fmt::format("SELECT {} FROM metric_summary WHERE run_id = ?1 ORDER BY key",
                                     store_detail::kSummaryColumns));
    st.bind(1, run_id);
    return store_detail::read_rows(st, store_detail::read_summary);
  });
}

}  // namespace dfkd::host
