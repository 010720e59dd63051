// Results archives: `dfkd export` writes one, `dfkd ingest` reads one (store/archive.hpp).
// Both directions go through ResultsStore::merge_run, the same row-by-row copy that merges Slurm
// shards, so an archived run arrives exactly as a shard's would.
#include "store/archive.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "dfkd/errors.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dfkd::host {
namespace {

constexpr const char* kFormat = "dfkd-results-archive";
constexpr int kFormatVersion = 1;

/// The runs behind the experiment's cells with an outcome, and (recursively) the runs they read:
/// column teachers have no cell of their own. A run that diverged has an outcome too (it
/// diverges every time it is trained): the archive keeps it, so its cell says "failed" on every
/// machine instead of looking merely not run yet.
struct Selection {
  std::map<std::string, RunRecord> runs;  ///< by run_key
  std::set<std::string> read_by_others;   ///< run_keys other selected runs depend on
  int diverged = 0;
  int left_out = 0;
};

bool has_outcome(const RunRecord& run) {
  return run.status == RunStatus::Completed || diverged(run);
}

/// Whether the run's artifact files come along: a diverged run has no model worth keeping.
bool keeps_files(const RunRecord& run, const ExportOptions& opt, const Selection& sel) {
  return run.status == RunStatus::Completed &&
         (opt.artifacts == ExportOptions::Artifacts::All || sel.read_by_others.count(run.run_key));
}

Selection select_runs(const ResultsStore& store, const ExportOptions& opt) {
  Selection sel;
  std::vector<std::string> pending;
  for (const auto& cell : store.cells(opt.experiment, opt.profile)) pending.push_back(cell.run_key);
  std::set<std::string> seen;
  while (!pending.empty()) {
    const std::string key = pending.back();
    pending.pop_back();
    if (!seen.insert(key).second) continue;
    const auto run = store.find_run_by_key(key);
    if (!run || !has_outcome(*run)) {
      ++sel.left_out;
      continue;
    }
    // A diverged run's teacher comes along with its files too: a store it is ingested into can
    // train it again.
    for (const auto& input : dependencies_of(*run)) {
      sel.read_by_others.insert(input);
      pending.push_back(input);
    }
    sel.diverged += run->status == RunStatus::Failed ? 1 : 0;
    sel.runs.emplace(key, *run);
  }
  return sel;
}

std::string utc_now() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::uintmax_t directory_bytes(const fs::path& dir) {
  std::uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  return bytes;
}

/// Where the new archive is written before it replaces `dir` (never half an archive in `dir`).
fs::path staging_dir_for(const fs::path& dir) {
  if (fs::exists(dir) && !is_archive_dir(dir) && !fs::is_empty(dir))
    throw ConfigError(fmt::format(
        "'{}' exists and is not a dfkd results archive (no {}); export into a new or empty "
        "directory",
        dir.string(), kArchiveManifest));
  fs::path staging = dir;
  staging += ".export-tmp";
  fs::remove_all(staging);
  fs::create_directories(staging);
  return staging;
}

/// Rows sorted by row, column, seed (teachers, with no row, by their column): stable diffs. A
/// run's row and column are those it was first planned under (another experiment's, for a run
/// two experiments share); `cells` are the archived experiment's own.
json manifest(const ResultsStore& store, const ExportOptions& opt, const Selection& sel) {
  std::vector<const RunRecord*> runs;
  for (const auto& [key, run] : sel.runs) runs.push_back(&run);
  std::sort(runs.begin(), runs.end(), [](const RunRecord* a, const RunRecord* b) {
    return std::tie(a->role, a->row, a->column, a->seed, a->run_key) <
           std::tie(b->role, b->row, b->column, b->seed, b->run_key);
  });
  json list = json::array();
  for (const auto* r : runs) {
    json cells = json::array();
    for (const auto& c : store.cells_reading(r->run_key))
      if (c.experiment == opt.experiment && (opt.profile.empty() || c.profile == opt.profile))
        cells.push_back({{"row", c.row}, {"column", c.column}, {"seed", c.seed}});
    list.push_back({{"run_key", r->run_key},
                    {"role", r->role},
                    {"status", to_string(r->status)},
                    {"row", r->row},
                    {"column", r->column},
                    {"seed", r->seed},
                    {"profile", r->profile},
                    {"cells", cells},
                    {"files", keeps_files(*r, opt, sel)}});
  }
  return {{"format", kFormat},
          {"version", kFormatVersion},
          {"experiment", opt.experiment},
          {"profile", opt.profile},
          {"artifacts", opt.artifacts == ExportOptions::Artifacts::All ? "all" : "needed"},
          {"exported_at", utc_now()},
          {"dfkd_version", DFKD_VERSION},
          {"runs", list}};
}

void write_json(const fs::path& file, const json& j) {
  std::ofstream out(file);
  out << j.dump(1) << '\n';
  if (!out) throw std::runtime_error(fmt::format("cannot write '{}'", file.string()));
}

}  // namespace

ExportSummary export_archive(const ResultsStore& store, const fs::path& dir,
                             const ExportOptions& opt) {
  const auto definition = store.experiment_definition(opt.experiment);
  if (!definition)
    throw ConfigError(
        fmt::format("store {} has no experiment '{}'", store.path().string(), opt.experiment));
  const Selection sel = select_runs(store, opt);
  if (sel.runs.empty())
    throw ConfigError(
        fmt::format("store {} has no completed run of experiment '{}'{}: nothing to export",
                    store.path().string(), opt.experiment,
                    opt.profile.empty() ? "" : fmt::format(" (profile {})", opt.profile)));

  const fs::path staging = staging_dir_for(dir);
  ExportSummary sum;
  {
    // A rollback journal: the archive is one self-contained file, no -wal beside it.
    ResultsStore archive(staging / kArchiveStore, ResultsStore::Mode::ReadWrite,
                         ResultsStore::Journal::Rollback);
    archive.upsert_experiment(opt.experiment, definition->value("title", ""), *definition,
                              store.experiment_source_file(opt.experiment));
    for (const auto& [key, run] : sel.runs) {
      MergeOptions merge;
      const bool files = keeps_files(run, opt, sel);
      merge.artifacts = files ? MergeOptions::Artifacts::CopyFiles : MergeOptions::Artifacts::Omit;
      archive.merge_run(store.path(), key, merge);
      ++sum.runs;
      sum.with_files += files ? 1 : 0;
    }
  }
  {
    SQLite::Database db((staging / kArchiveStore).string(), SQLite::OPEN_READWRITE);
    db.exec("VACUUM");  // no free pages from the merges: the file is as small as its rows
  }
  write_json(staging / kArchiveManifest, manifest(store, opt, sel));
  fs::remove_all(dir);
  fs::rename(staging, dir);
  sum.diverged = sel.diverged;
  sum.left_out = sel.left_out;
  sum.bytes = directory_bytes(dir);
  return sum;
}

bool diverged(const RunRecord& run) {
  // engine/engine.cpp's NonFiniteError messages: "non-finite loss_student = +inf at epoch ...",
  // "non-finite test_loss at epoch ...".
  return run.status == RunStatus::Failed && run.error.rfind("non-finite ", 0) == 0;
}

bool is_archive_dir(const fs::path& dir) {
  return fs::is_directory(dir) && fs::exists(dir / kArchiveManifest);
}

std::vector<ArchivedRun> archived_runs(const fs::path& dir) {
  const fs::path file = dir / kArchiveManifest;
  json m;
  try {
    std::ifstream in(file);
    m = json::parse(in);
  } catch (const json::exception& e) {
    throw ConfigError(
        fmt::format("{}: not valid JSON ({}); export the archive again", file.string(), e.what()));
  }
  if (!m.is_object() || m.value("format", "") != kFormat)
    throw ConfigError(
        fmt::format("{}: expected \"format\": \"{}\"; this is not a dfkd results "
                    "archive",
                    file.string(), kFormat));
  if (m.value("version", 0) != kFormatVersion)
    throw ConfigError(fmt::format("{}: archive format version {}; this dfkd reads version {}",
                                  file.string(), m.value("version", 0), kFormatVersion));
  const ResultsStore archive(dir / kArchiveStore, ResultsStore::Mode::ReadOnly);
  std::vector<ArchivedRun> runs;
  try {
    for (const auto& r : m.at("runs")) {
      // Archives written before failed runs were kept list completed runs only.
      ArchivedRun run{r.at("run_key").get<std::string>(),          r.at("row").get<std::string>(),
                      r.at("column").get<std::string>(),           r.at("role").get<std::string>(),
                      r.value("status", std::string("completed")), r.at("seed").get<int64_t>()};
      if (run.status != "completed" && run.status != "failed")
        throw ConfigError(fmt::format(
            "{}: run {} has status \"{}\"; an archive holds completed and diverged (failed) "
            "runs only",
            file.string(), run.run_key, run.status));
      if (!archive.find_run_by_key(run.run_key))
        throw ConfigError(
            fmt::format("{} lists run {} but {} does not hold it; export the "
                        "archive again",
                        file.string(), run.run_key, kArchiveStore));
      runs.push_back(std::move(run));
    }
  } catch (const json::exception& e) {
    throw ConfigError(fmt::format("{}: runs: {}", file.string(), e.what()));
  }
  return runs;
}

std::vector<DefinitionMerge> copy_archived_definitions(ResultsStore& store, const fs::path& dir) {
  const ResultsStore archive(dir / kArchiveStore, ResultsStore::Mode::ReadOnly);
  std::vector<DefinitionMerge> out;
  for (const auto& name : archive.experiments()) {
    DefinitionMerge m{
        DefinitionMerge::Action::Added,      name,    store.experiment_updated_at(name),
        archive.experiment_updated_at(name), nullptr, *archive.experiment_definition(name)};
    if (const auto mine = store.experiment_definition(name)) {
      if (*mine == m.archive_definition) continue;
      m.store_definition = *mine;
      // ISO 8601 in UTC: the text order is the time order.
      m.action = m.archive_time > m.store_time ? DefinitionMerge::Action::Replaced
                                               : DefinitionMerge::Action::Kept;
    }
    if (m.action != DefinitionMerge::Action::Kept)
      store.upsert_experiment(name, m.archive_definition.value("title", ""), m.archive_definition,
                              archive.experiment_source_file(name), m.archive_time);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace dfkd::host
