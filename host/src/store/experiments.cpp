// ResultsStore: experiment definitions, environments and plugins, the content a run refers to.
#include <SQLiteCpp/SQLiteCpp.h>

#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "store/store_rows.hpp"
#include "store/store_sql.hpp"
#include "util/hash.hpp"

using nlohmann::json;

namespace dfkd::host {
using store_detail::fail;
using store_detail::guarded;
using store_detail::text;

void ResultsStore::upsert_experiment(const std::string& name, const std::string& title,
                                     const json& definition, const std::string& source_file,
                                     const std::string& updated_at) {
  const char* op = "upsert_experiment";
  require_writable(op);
  if (name.empty()) fail(path_, op, "experiment name is empty");
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(
        *db_,
        "INSERT INTO experiment (name, title, definition_json, source_file, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, " DFKD_NOW ", COALESCE(NULLIF(?5, ''), " DFKD_NOW
        ")) "
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
    st.bind(5, updated_at);
    st.exec();
    tx.commit();
  });
}

std::string ResultsStore::ensure_environment(const EnvironmentInfo& env) {
  const char* op = "ensure_environment";
  require_writable(op);
  const json fields = {{"git_commit", env.git_commit},
                       {"git_dirty", env.git_dirty},
                       {"compiler", env.compiler},
                       {"torch_version", env.torch_version},
                       {"device", env.device},
                       {"threads", env.threads},
                       {"blas", env.blas},
                       {"hostname", env.hostname},
                       {"cpu_model", env.cpu_model},
                       {"cpus", env.cpus}};
  const std::string id = sha256_hex(fields.dump());  // keys sorted: a canonical form
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement st(*db_,
                         "INSERT OR IGNORE INTO environment (environment_id, git_commit, "
                         "git_dirty, compiler, torch_version, device, threads, blas, hostname, "
                         "cpu_model, cpus, created_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, " DFKD_NOW ")");
    st.bind(1, id);
    st.bind(2, env.git_commit);
    st.bind(3, env.git_dirty ? 1 : 0);
    st.bind(4, env.compiler);
    st.bind(5, env.torch_version);
    st.bind(6, env.device);
    st.bind(7, static_cast<int64_t>(env.threads));
    st.bind(8, env.blas);
    st.bind(9, env.hostname);
    st.bind(10, env.cpu_model);
    st.bind(11, env.cpus);
    st.exec();
    tx.commit();
  });
  return id;
}

std::optional<EnvironmentInfo> ResultsStore::environment(const std::string& environment_id) const {
  const bool has_machine = schema_version() >= 4;  // an older store opened read-only
  return guarded(path_, "environment", [&]() -> std::optional<EnvironmentInfo> {
    SQLite::Statement st(
        *db_, fmt::format("SELECT git_commit, git_dirty, compiler, torch_version, device, threads, "
                          "blas, hostname, {} FROM environment WHERE environment_id = ?1",
                          has_machine ? "cpu_model, cpus" : "'', 0"));
    st.bind(1, environment_id);
    if (!st.executeStep()) return std::nullopt;
    EnvironmentInfo env;
    env.git_commit = st.getColumn(0).getString();
    env.git_dirty = st.getColumn(1).getInt() != 0;
    env.compiler = st.getColumn(2).getString();
    env.torch_version = st.getColumn(3).getString();
    env.device = st.getColumn(4).getString();
    env.threads = st.getColumn(5).getInt64();
    env.blas = st.getColumn(6).getString();
    env.hostname = st.getColumn(7).getString();
    env.cpu_model = st.getColumn(8).getString();
    env.cpus = st.getColumn(9).getInt64();
    return env;
  });
}

std::string EnvironmentInfo::machine() const {
  if (cpu_model.empty()) return "machine not recorded";
  return cpus > 0 ? fmt::format("{}, {} CPUs", cpu_model, cpus) : cpu_model;
}

void ResultsStore::record_plugins(const std::string& run_id,
                                  const std::vector<PluginRecord>& plugins) {
  const char* op = "record_plugins";
  require_writable(op);
  guarded(path_, op, [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (!store_detail::run_exists(*db_, run_id)) fail(path_, op, "no run with id '" + run_id + "'");
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

std::string ResultsStore::experiment_updated_at(const std::string& name) const {
  return guarded(path_, "experiment_updated_at", [&] {
    SQLite::Statement st(*db_, "SELECT updated_at FROM experiment WHERE name = ?1");
    st.bind(1, name);
    return store_detail::read_first_row(st, store_detail::read_text).value_or(std::string());
  });
}

std::vector<std::string> ResultsStore::experiments() const {
  return guarded(path_, "experiments", [&] {
    SQLite::Statement st(*db_, "SELECT name FROM experiment ORDER BY name");
    return store_detail::read_rows(st, store_detail::read_text);
  });
}

std::optional<json> ResultsStore::experiment_definition(const std::string& name) const {
  return guarded(path_, "experiment_definition", [&]() -> std::optional<json> {
    SQLite::Statement st(*db_, "SELECT definition_json FROM experiment WHERE name = ?1");
    st.bind(1, name);
    if (!st.executeStep()) return std::nullopt;
    return store_detail::parse_stored_json(text(st.getColumn(0)),
                                           "experiment '" + name + "' definition_json");
  });
}

std::vector<PluginRecord> ResultsStore::run_plugins(const std::string& run_id) const {
  return guarded(path_, "run_plugins", [&] {
    SQLite::Statement st(*db_,
                         "SELECT p.kind, p.name, p.version, p.file_sha256, p.file_path, "
                         "p.interface_id FROM run_plugin rp JOIN plugin p USING (plugin_id) "
                         "WHERE rp.run_id = ?1 ORDER BY p.kind, p.name");
    st.bind(1, run_id);
    return store_detail::read_rows(st, [](store_detail::Row& r) {
      PluginRecord p;
      p.kind = r.text();
      p.name = r.text();
      p.version = r.text();
      p.file_sha256 = r.text();
      p.file_path = r.text();
      p.interface_id = r.text();
      return p;
    });
  });
}

}  // namespace dfkd::host
