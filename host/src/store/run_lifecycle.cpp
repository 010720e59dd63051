// ResultsStore: a run's lifecycle. Claiming it (and seeing that a claimant died), heartbeats,
// and ending it as completed, failed or killed; reset_run puts it back to planned.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "store/store_sql.hpp"

using nlohmann::json;

namespace dfkd::host {
using store_detail::bind_real_or_null;
using store_detail::fail;
using store_detail::guarded;
using store_detail::run_exists;
using store_detail::text;

namespace {

std::string this_host() {
  std::array<char, 256> name{};
  gethostname(name.data(), name.size() - 1);
  return name.data();
}

/// "host:pid" of this process: lets a claimant on the same machine see at once that the process
/// holding a run died (kill -9, power loss of a worker) instead of waiting for the heartbeat to
/// age.
std::string this_claimant() {
  return fmt::format("{}:{}", this_host(), getpid());
}

bool claimant_is_dead(const std::string& claimant) {
  const auto colon = claimant.rfind(':');
  if (colon == std::string::npos || claimant.substr(0, colon) != this_host()) return false;
  const auto pid = static_cast<pid_t>(std::stoll(claimant.substr(colon + 1)));
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
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

}  // namespace

bool ResultsStore::claim_run(const std::string& run_id, const std::string& environment_id,
                             double stale_after_seconds, int64_t min_attempt) {
  const char* op = "claim_run";
  require_writable(op);
  return guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    {
      SQLite::Statement holder(
          *db_, "SELECT claimed_by FROM run WHERE run_id = ?1 AND status = 'running'");
      holder.bind(1, run_id);
      if (holder.executeStep() && !holder.getColumn(0).isNull() &&
          claimant_is_dead(holder.getColumn(0).getString()))
        stale_after_seconds = -1;  // its process is gone: reclaim now
    }
    SQLite::Statement st(
        *db_,
        "UPDATE run SET status = 'running', attempt = max(attempt + 1, ?5), "
        // A claimant that died never reported its attempt's time: count it up to its last sign
        // of life, so that wall_seconds stays the sum over attempts.
        "wall_seconds = wall_seconds + CASE WHEN status = 'running' THEN coalesce(max(0, "
        "(julianday(heartbeat_at) - julianday(started_at)) * 86400.0), 0) ELSE 0 END, "
        "started_at = " DFKD_NOW ", heartbeat_at = " DFKD_NOW
        ", finished_at = NULL, error = NULL, environment_id = ?2, "
        "claimed_by = ?4 WHERE run_id = ?1 AND (status IN ('planned', 'failed', 'killed') OR "
        "(status = 'running' AND (heartbeat_at IS NULL OR " DFKD_HEARTBEAT_AGE " > ?3)))");
    st.bind(1, run_id);
    store_detail::bind_text_or_null(st, 2, environment_id);
    st.bind(3, stale_after_seconds);
    st.bind(4, this_claimant());
    st.bind(5, min_attempt);
    st.exec();
    if (db_->getChanges() == 1) {
      tx.commit();
      return true;
    }
    if (!run_exists(*db_, run_id)) fail(path_, op, "no run with id '" + run_id + "'");
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

/// Replaces the run's params with its flattened config_json. Call inside a transaction.
void ResultsStore::write_params(const std::string& run_id) {
  SQLite::Statement cfg(*db_, "SELECT config_json FROM run WHERE run_id = ?1");
  cfg.bind(1, run_id);
  if (!cfg.executeStep()) return;
  const std::string config_text = text(cfg.getColumn(0));
  std::vector<Param> params;
  flatten(config_text.empty()
              ? json()
              : store_detail::parse_stored_json(config_text, "run " + run_id + " config_json"),
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
                                const std::vector<MetricSummary>& summaries, double wall_seconds) {
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
      bind_real_or_null(ins, 3, s.final_value);
      bind_real_or_null(ins, 4, s.best_value);
      ins.bind(5, static_cast<int64_t>(s.best_epoch));
      ins.bind(6, s.mode);
      ins.exec();
      ins.reset();
    }
    write_params(run_id);
    SQLite::Statement upd(*db_, "UPDATE run SET status = 'completed', finished_at = " DFKD_NOW
                                ", heartbeat_at = " DFKD_NOW
                                ", wall_seconds = wall_seconds + ?2, error = NULL "
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
    const std::string was = text(current.getColumn(0));
    if (was == "completed")
      fail(path_, op,
           "run '" + run_id + "' is already completed; refusing to mark it " + to_string(status));
    write_params(run_id);
    // An attempt already ended (a worker's watchdog and its main thread may both report the
    // kill) has its time counted once.
    const bool counted = was == "failed" || was == "killed";
    SQLite::Statement upd(*db_, "UPDATE run SET status = ?2, error = ?3, finished_at = " DFKD_NOW
                                ", wall_seconds = wall_seconds + ?4 WHERE run_id = ?1");
    upd.bind(1, run_id);
    upd.bind(2, to_string(status));
    upd.bind(3, error);
    upd.bind(4, counted ? 0.0 : wall_seconds);
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
      if (!run_exists(*db_, run_id)) fail(path_, op, "no run with id '" + run_id + "'");
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

}  // namespace dfkd::host
