// ResultsStore: planning runs, finding them by key or id (prefix), listing them, and the table
// cells that link to them.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <utility>

#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "store/store_rows.hpp"
#include "store/store_sql.hpp"
#include "util/hash.hpp"

namespace dfkd::host {

std::vector<std::string> dependencies_of(const RunRecord& run) {
  std::vector<std::string> deps;
  if (!run.parent_run_key.empty()) deps.push_back(run.parent_run_key);
  if (run.config.is_object()) {
    const auto init = run.config.find("init_from");
    if (init != run.config.end() && init->is_string()) deps.push_back(init->get<std::string>());
  }
  return deps;
}
using store_detail::fail;
using store_detail::guarded;

namespace {

/// A run an id prefix matched: its id and a line saying which run it is.
struct PrefixMatch {
  std::string run_id, description;
};

PrefixMatch read_prefix_match(store_detail::Row& row) {
  PrefixMatch m;
  m.run_id = row.text();
  const std::string experiment = row.text(), table_row = row.text(), column = row.text();
  const int64_t seed = row.integer();
  m.description = fmt::format("{} ({} {}/{} seed {}, {})", m.run_id, experiment, table_row, column,
                              seed, row.text());
  return m;
}

}  // namespace

RunRecord ResultsStore::plan_run(const RunPlan& plan) {
  const char* op = "plan_run";
  require_writable(op);
  if (plan.run_key.empty()) fail(path_, op, "run_key is empty");
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement existing(*db_, "SELECT run_id FROM run WHERE run_key = ?1");
    existing.bind(1, plan.run_key);
    if (existing.executeStep()) {  // planned before: keep the first record, but name its row
      // Older dfkd planned a dependency teacher with an empty row; it gets this plan's name.
      existing.reset();
      SQLite::Statement name(*db_, "UPDATE run SET row = ?2 WHERE run_key = ?1 AND row = ''");
      name.bind(1, plan.run_key);
      name.bind(2, plan.row);
      name.exec();
      tx.commit();
      return;
    }

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
    store_detail::bind_text_or_null(ins, 10, plan.parent_run_key);
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
  SQLite::Statement st(
      *db_, fmt::format("SELECT {} FROM run WHERE {}", store_detail::kRunColumns, where));
  st.bind(1, arg);
  return store_detail::read_first_row(st, store_detail::read_run);
}

std::optional<RunRecord> ResultsStore::find_run_by_key(const std::string& run_key) const {
  return guarded(path_, "find_run_by_key", [&] { return select_one_run("run_key = ?1", run_key); });
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
    const auto matches = store_detail::read_rows(st, read_prefix_match);
    if (matches.empty()) return std::nullopt;
    if (matches.size() > 1) {
      std::string list;
      for (size_t i = 0; i < matches.size() && i < 20; ++i) list += "\n  " + matches[i].description;
      if (matches.size() > 20) list += "\n  ...";
      fail(path_, op, fmt::format("run id prefix '{}' is ambiguous; it matches:{}", run_id, list));
    }
    return select_one_run("run_id = ?1", matches.front().run_id);
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
    SQLite::Statement st(*db_, fmt::format("SELECT {} FROM cell "
                                           "WHERE experiment = ?1 AND (?2 = '' OR profile = ?2) "
                                           "ORDER BY profile, row, column_name, seed",
                                           store_detail::kCellColumns));
    st.bind(1, experiment);
    st.bind(2, profile);
    return store_detail::read_rows(st, store_detail::read_cell);
  });
}

std::vector<RunRecord> ResultsStore::runs(const std::string& experiment,
                                          const std::string& status) const {
  if (!status.empty()) run_status_from_string(status);  // validates; throws invalid_argument
  return guarded(path_, "runs", [&] {
    SQLite::Statement st(*db_, fmt::format("SELECT {} FROM run WHERE (?1 = '' OR experiment = ?1) "
                                           "AND (?2 = '' OR status = ?2) "
                                           "ORDER BY created_at DESC, rowid DESC",
                                           store_detail::kRunColumns));
    st.bind(1, experiment);
    st.bind(2, status);
    return store_detail::read_rows(st, store_detail::read_run);
  });
}

std::vector<RunRecord> ResultsStore::runs_of_experiment(const std::string& experiment,
                                                        const std::string& status) const {
  if (!status.empty()) run_status_from_string(status);  // validates; throws invalid_argument
  return guarded(path_, "runs_of_experiment", [&] {
    // A run planned first by another experiment still belongs to every experiment whose cells
    // read it, and so do the teachers those runs learned from.
    SQLite::Statement st(
        *db_, fmt::format("WITH RECURSIVE k(run_key) AS ("
                          "SELECT run_key FROM cell WHERE experiment = ?1 "
                          "UNION SELECT run_key FROM run WHERE experiment = ?1 "
                          "UNION SELECT r.parent_run_key FROM run r JOIN k USING (run_key) "
                          "WHERE r.parent_run_key IS NOT NULL AND r.parent_run_key <> '') "
                          "SELECT {} FROM run WHERE run_key IN (SELECT run_key FROM k) "
                          "AND (?2 = '' OR status = ?2) ORDER BY created_at DESC, rowid DESC",
                          store_detail::kRunColumns));
    st.bind(1, experiment);
    st.bind(2, status);
    return store_detail::read_rows(st, store_detail::read_run);
  });
}

std::vector<CellRecord> ResultsStore::cells_reading(const std::string& run_key) const {
  return guarded(path_, "cells_reading", [&] {
    SQLite::Statement st(*db_, fmt::format("SELECT {} FROM cell WHERE run_key = ?1 "
                                           "ORDER BY experiment, profile, row, column_name, seed",
                                           store_detail::kCellColumns));
    st.bind(1, run_key);
    return store_detail::read_rows(st, store_detail::read_cell);
  });
}

}  // namespace dfkd::host
