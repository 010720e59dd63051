// ResultsStore: what a run learned from (run_input), where a stored definition came from, and
// where artifact files live. Kept apart from run_lifecycle.cpp.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <algorithm>

#include "store/artifact_files.hpp"
#include "store/results_store.hpp"
#include "store/store_errors.hpp"
#include "store/store_rows.hpp"

namespace fs = std::filesystem;

namespace dfkd::host {
using store_detail::guarded;

fs::path ResultsStore::artifact_root() const {
  return dfkd::host::artifact_root(path_);
}

fs::path ResultsStore::artifact_file(const ArtifactRecord& artifact) const {
  const fs::path p = artifact.path;
  return p.is_relative() ? path_.parent_path() / p : p;
}

std::string ResultsStore::experiment_source_file(const std::string& name) const {
  if (schema_version() < 3) return {};  // an older store opened read-only: not recorded then
  return guarded(path_, "experiment_source_file", [&] {
    SQLite::Statement st(*db_, "SELECT source_file FROM experiment WHERE name = ?1");
    st.bind(1, name);
    return store_detail::read_first_row(st, store_detail::read_text).value_or(std::string());
  });
}

void ResultsStore::record_input(const std::string& run_id, const RunInput& input) {
  const char* op = "record_input";
  require_writable(op);
  guarded(path_, op, [&] {
    SQLite::Statement st(*db_,
                         "INSERT OR REPLACE INTO run_input (run_id, role, artifact_id, sha256) "
                         "VALUES (?1, ?2, ?3, ?4)");
    st.bind(1, run_id);
    st.bind(2, input.role);
    st.bind(3, input.artifact_id);
    st.bind(4, input.sha256);
    st.exec();
  });
}

std::optional<RunInput> ResultsStore::run_input(const std::string& run_id,
                                                const std::string& role) const {
  if (schema_version() < 3) return std::nullopt;
  return guarded(path_, "run_input", [&]() -> std::optional<RunInput> {
    SQLite::Statement st(*db_,
                         fmt::format("SELECT {} FROM run_input WHERE run_id = ?1 AND role = ?2",
                                     store_detail::kRunInputColumns));
    st.bind(1, run_id);
    st.bind(2, role);
    return store_detail::read_first_row(st, store_detail::read_run_input);
  });
}

std::vector<RunRecord> ResultsStore::completed_dependents(const std::string& run_key) const {
  std::vector<RunRecord> out;
  for (auto& r : runs("", "completed")) {
    const auto inputs = dependencies_of(r);
    if (std::find(inputs.begin(), inputs.end(), run_key) != inputs.end())
      out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dfkd::host
