#pragma once
/// Results archives (`dfkd export`, `dfkd ingest ARCHIVE_DIR`): an experiment's completed runs
/// and the runs that diverged (definition, cells, configs, metrics, errors, provenance, and the
/// model files that other runs read)
/// copied out of a store into a directory that any other store can ingest. An archive moves
/// results between machines and keeps the runs behind a committed table next to it
/// (results/cpu/archive/), so a new checkout regenerates the table, or resumes the experiment,
/// without training again.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/results_store.hpp"

namespace dfkd::host {

/// The archive's own files: the manifest (what is in it, sorted for readable diffs) and a
/// results store holding exactly those runs, with its artifact folder beside it.
inline constexpr const char* kArchiveManifest = "archive.json";
inline constexpr const char* kArchiveStore = "runs.db";

struct ExportOptions {
  std::string experiment;
  std::string profile;  ///< "" = every profile the store has cells for
  /// Needed: model and sample files only of runs that other archived runs read (their
  /// teachers), so the archive stays small and students planned later still find their teacher.
  /// All: every artifact file of every run.
  enum class Artifacts { Needed, All } artifacts = Artifacts::Needed;
};

struct ExportSummary {
  int runs = 0;        ///< runs archived: completed, and failed by diverging
  int diverged = 0;    ///< of those, runs that diverged (their error and metrics; never files)
  int with_files = 0;  ///< of those, runs whose artifact files came along
  int left_out = 0;    ///< cells whose run is planned, running, killed, or failed otherwise
  std::uintmax_t bytes = 0;  ///< size of the archive directory
};

/// Writes the archive into `dir` (created; an existing archive there is replaced as a whole,
/// any other existing directory is refused). Throws ConfigError for an unknown experiment or
/// profile, or when no run has finished.
ExportSummary export_archive(const ResultsStore& store, const std::filesystem::path& dir,
                             const ExportOptions& options);

bool is_archive_dir(const std::filesystem::path& dir);

/// A failed run that diverged (the engine's NonFiniteError, whose message starts "non-finite"):
/// the same configuration and seed diverge again, so the failure is an outcome an archive keeps.
/// Any other failure (a worker killed, a disk full) is not; it is left out, to be trained again.
bool diverged(const RunRecord& run);

struct ArchivedRun {
  std::string run_key, row, column, role;
  std::string status;  ///< "completed" or "failed" (diverged)
  int64_t seed = 0;
};

/// The runs an archive's manifest lists; throws ConfigError naming the file when the manifest is
/// unreadable or lists a run its store does not hold.
std::vector<ArchivedRun> archived_runs(const std::filesystem::path& dir);

/// What ingesting an archive did with one of its experiment definitions.
struct DefinitionMerge {
  enum class Action { Added, Replaced, Kept } action;
  std::string name;
  std::string store_time, archive_time;  ///< updated_at of each (ISO 8601, UTC)
  nlohmann::json store_definition, archive_definition;
};

/// Copies the archive's experiment definitions into `store`. Where both hold one of a name and
/// they differ, the newer wins: an archive also carries the definitions of other experiments that
/// share its runs, as they were when it was exported, and those must not shadow the experiment's
/// own later definition whatever the order of the ingests. Returns what changed or differs.
std::vector<DefinitionMerge> copy_archived_definitions(ResultsStore& store,
                                                       const std::filesystem::path& dir);

}  // namespace dfkd::host
