#pragma once
/// The SQLite results store (schema documented in results/README.md). Every write is a short
/// transaction; WAL + busy timeout let several dfkd processes share one file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace SQLite {
class Database;
}

namespace dfkd::host {

enum class RunStatus { Planned, Running, Completed, Failed, Killed };
const char* to_string(RunStatus status);
RunStatus run_status_from_string(const std::string& s);  ///< throws std::invalid_argument

/// What the planner knows about a run before it starts.
struct RunPlan {
  std::string run_key;     ///< sha256 of the canonical config
  std::string experiment;  ///< first experiment that planned it
  std::string row;         ///< e.g. "DFAL"
  std::string column;      ///< dataset column, e.g. "two_moons"
  int64_t seed = 0;
  std::string profile;
  std::string role;            ///< "teacher" or "student"
  std::string method;          ///< method plugin name
  std::string parent_run_key;  ///< the teacher's run_key, empty if none
  nlohmann::json config;       ///< resolved canonical config (stored as config_json)
  std::string run_id;          ///< "" = a new random id; a sweep shard reuses the main store's id
};

struct RunRecord {
  std::string run_id;  ///< globally unique (random 128-bit hex), never autoincrement
  std::string run_key;
  std::string experiment, row, column, profile, role, method;
  int64_t seed = 0;
  RunStatus status = RunStatus::Planned;
  int64_t attempt = 0;
  std::string parent_run_id;   ///< the teacher's run_id ("" if none or not planned yet)
  std::string parent_run_key;  ///< the teacher's run_key as planned ("" if none)
  nlohmann::json config;
  std::string created_at, started_at, finished_at, heartbeat_at;  ///< ISO-8601 UTC
  double wall_seconds = 0;  ///< training time summed over every attempt
  int64_t epochs_done = 0;
  std::string error;
  std::string environment_id;
  double heartbeat_age_seconds = 0;  ///< now - heartbeat_at, computed at read time
};

/// Every run_key whose trained weights `run` reads: its teacher's and its `init_from` run's
/// (config). The schedulers wait for them (planner/dependencies.hpp), archives keep their files.
std::vector<std::string> dependencies_of(const RunRecord& run);

struct EnvironmentInfo {
  std::string git_commit;
  bool git_dirty = false;
  std::string compiler;
  std::string torch_version;
  std::string device;
  int64_t threads = 0;
  std::string blas;
  std::string hostname;
  std::string cpu_model;  ///< /proc/cpuinfo's model name; '' when not recorded (before schema 4)
  int64_t cpus = 0;       ///< logical CPUs online; 0 when not recorded

  /// "AMD EPYC, 2 CPUs", or "machine not recorded" for runs of dfkd before store schema 4.
  std::string machine() const;
};

struct PluginRecord {
  std::string kind, name, version, file_sha256, file_path, interface_id;
};

struct MetricPoint {
  int64_t epoch = 0;
  int64_t step = 0;
  double value = 0;
};

/// Final and best value of one metric over a run; `mode` says what "best" means.
struct MetricSummary {
  std::string key;
  double final_value = 0;
  double best_value = 0;
  int64_t best_epoch = 0;
  std::string mode;  ///< "max" or "min"
};

struct ArtifactRecord {
  std::string artifact_id;
  std::string run_id;
  std::string kind;  ///< "checkpoint", "model", "samples", "figure", ...
  std::string path;  ///< absolute, or relative to the store's directory
  std::string sha256;
  int64_t bytes = 0;
  std::string created_at;  ///< set by the store
};

/// A table cell link: (experiment, profile, row, column, seed) -> run.
struct CellRecord {
  std::string experiment, profile, row, column;
  int64_t seed = 0;
  std::string run_key;
};

/// How `ResultsStore::merge_run` treats the source run.
struct MergeOptions {
  /// CopyFiles: artifact files are copied beside this store (ingest: the store stays
  /// self-contained). ReferenceInPlace: rows point at the source's files by absolute path (a
  /// shard borrowing its teacher's trained model). Omit: no artifact rows or files (a results
  /// archive keeps model files only where other runs read them).
  enum class Artifacts { CopyFiles, ReferenceInPlace, Omit } artifacts = Artifacts::CopyFiles;
  /// Non-empty: the run is recorded as killed with this error (a lost Slurm task).
  std::string lost_reason;
  /// A failed source run is merged only where this store has not tried the run itself (no run
  /// with the key, or one still planned): for a results archive, whose failure is older news than
  /// this store's own attempt (failed again, killed, or resumable from its checkpoint).
  bool failure_only_where_unstarted = false;
  /// Provenance written to ingest_log when the merge changed something ("" = no log entry).
  std::string source, sweep_id, slurm_job;
};

struct MergeResult {
  enum class Outcome {
    Merged,          ///< this store now holds the source's run
    Unchanged,       ///< it already did (ingesting twice changes nothing)
    KeptCompleted,   ///< this store has a different completed run with the key: kept
    HeldHere,        ///< a live process of this store is training the run: not touched
    KeptOwnAttempt,  ///< failure_only_where_unstarted: this store tried the run itself: kept
  } outcome = Outcome::Unchanged;
  std::string run_id;  ///< the run's id in this store
  std::string status;  ///< the status recorded (or found)
  /// KeptCompleted: runs of the source that learned from the source's version of this run (its
  /// students). They are merged all the same, so they sit beside a teacher they did not read.
  int64_t source_students = 0;
};

/// An artifact a run read while training (its teacher's weights), pinned by content.
struct RunInput {
  std::string role;  ///< "teacher"
  std::string artifact_id, sha256;
};

struct IngestLogEntry {
  std::string run_id, run_key, status, source, sweep_id, slurm_job, ingested_at;
};

class ResultsStore {
 public:
  enum class Mode { ReadWrite, ReadOnly };
  /// Wal: several processes on one host share the file. Rollback: a single-writer sweep shard,
  /// which may live on NFS/Lustre where WAL's shared memory does not work.
  enum class Journal { Wal, Rollback };
  static constexpr int kSchemaVersion = 4;
  /// Read-only opening also takes stores this old (committed archives outlive schema changes);
  /// readers of newer columns check schema_version().
  static constexpr int kOldestReadableVersion = 3;
  /// A running run whose heartbeat is older than this has lost its process (engines heartbeat at
  /// least every 20 s): claim_run and reset_run take it over, merge_run and submit treat it as
  /// free.
  static constexpr double kStaleHeartbeatSeconds = 120;

  /// Opens (and in ReadWrite mode creates and migrates) the store. ReadOnly opens with
  /// SQLITE_OPEN_READONLY: `dfkd query` can never write. Throws std::runtime_error naming the path.
  explicit ResultsStore(const std::filesystem::path& path, Mode mode = Mode::ReadWrite,
                        Journal journal = Journal::Wal);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  const std::filesystem::path& path() const { return path_; }
  Mode mode() const { return mode_; }
  int schema_version() const;

  /// Stores an experiment's definition (inserted or replaced; callers decide whether a
  /// replacement is allowed: planner/definitions.hpp). `source_file`: the file it came from.
  /// `updated_at`: when the definition was written ("" = now; an ingest keeps the archive's).
  void upsert_experiment(const std::string& name, const std::string& title,
                         const nlohmann::json& definition, const std::string& source_file = "",
                         const std::string& updated_at = "");
  /// When the stored definition was last written (ISO 8601, UTC); "" when there is none.
  std::string experiment_updated_at(const std::string& name) const;
  /// The file a stored definition came from ("" if unknown: stores before schema 3).
  std::string experiment_source_file(const std::string& name) const;
  /// Returns the environment id (sha256 of its fields); inserts the row if new.
  std::string ensure_environment(const EnvironmentInfo& env);
  /// The environment row with this id (cpu_model '' and cpus 0 in stores before schema 4).
  std::optional<EnvironmentInfo> environment(const std::string& environment_id) const;
  void record_plugins(const std::string& run_id, const std::vector<PluginRecord>& plugins);
  /// The plugins a run was trained with, as record_plugins stored them.
  std::vector<PluginRecord> run_plugins(const std::string& run_id) const;

  /// Inserts a planned run if no run has this run_key; returns the (existing or new) record.
  RunRecord plan_run(const RunPlan& plan);
  std::optional<RunRecord> find_run_by_key(const std::string& run_key) const;
  std::optional<RunRecord> find_run(const std::string& run_id) const;  ///< id or unique prefix
  void link_cell(const CellRecord& cell);
  std::vector<CellRecord> cells(const std::string& experiment,
                                const std::string& profile = "") const;
  /// The table cells that read a run (one run may fill cells of several experiments).
  std::vector<CellRecord> cells_reading(const std::string& run_key) const;
  /// The runs an experiment's tables read (through its cells, wherever they were planned first),
  /// the teachers they learned from, and the runs it planned; `status` "" for all.
  std::vector<RunRecord> runs_of_experiment(const std::string& experiment,
                                            const std::string& status = "") const;

  /// Atomically moves the run to Running (attempt + 1, heartbeat now) if it is planned, failed
  /// or killed, or running with a heartbeat older than `stale_after_seconds` (its claimant
  /// died). Returns false if someone else holds it or it is completed.
  /// `min_attempt`: a requeued Slurm task numbers its attempt from SLURM_RESTART_COUNT.
  bool claim_run(const std::string& run_id, const std::string& environment_id,
                 double stale_after_seconds = kStaleHeartbeatSeconds, int64_t min_attempt = 0);
  void heartbeat(const std::string& run_id);
  /// A worker process takes over the claim its parent made for it (claimed_by := this process),
  /// so the claim lives exactly as long as the process training the run. False if the run is
  /// not running (nothing was claimed for it).
  bool adopt_claim(const std::string& run_id);
  /// One transaction: every metric of one epoch, epochs_done and the heartbeat.
  void log_epoch(const std::string& run_id, int64_t epoch, int64_t step,
                 const std::map<std::string, double>& metrics);
  /// One epoch of a method's pre-training stage: keys are "<stage>/<metric>", `epoch` is the
  /// stage's own 1-based epoch; epochs_done is left alone.
  void log_stage_epoch(const std::string& run_id, int64_t epoch,
                       const std::map<std::string, double>& metrics);
  /// Drops main-loop metrics recorded after `epoch` (used when resuming from an earlier
  /// checkpoint); pre-training stage metrics ("<stage>/<metric>") are kept.
  void truncate_metrics(const std::string& run_id, int64_t after_epoch);
  /// One transaction: summaries + params (flattened config) + status Completed. `wall_seconds`
  /// is this attempt's time: the run's wall_seconds is the sum over its attempts (a claimant
  /// that died counts until its last heartbeat).
  void complete_run(const std::string& run_id, const std::vector<MetricSummary>& summaries,
                    double wall_seconds);
  /// status must be Failed or Killed; error says what and where. `wall_seconds` is this
  /// attempt's, added to the earlier attempts' (once: ending an ended attempt adds nothing).
  void end_run(const std::string& run_id, RunStatus status, const std::string& error,
               double wall_seconds);
  /// `--force`: puts a finished (completed / failed / killed) or stale running run back to
  /// Planned and deletes its metrics, summaries and params (artifact rows are kept; the caller
  /// owns the files). Returns false if a live claimant holds it (heartbeat fresher than
  /// `stale_after_seconds`).
  bool reset_run(const std::string& run_id, double stale_after_seconds = kStaleHeartbeatSeconds);
  /// Records an artifact (an empty artifact_id gets a random_id(); an existing id is replaced).
  /// Returns the artifact id.
  std::string add_artifact(const ArtifactRecord& artifact);
  std::vector<ArtifactRecord> artifacts(const std::string& run_id,
                                        const std::string& kind = "") const;
  /// Where this store keeps artifact files (store/artifact_files.hpp): `<file>-artifacts/`.
  std::filesystem::path artifact_root() const;
  /// An artifact's file as a path usable from here (relative paths are under the store's folder).
  std::filesystem::path artifact_file(const ArtifactRecord& artifact) const;

  /// Provenance (store/provenance.cpp): the artifact a run learned from, in role `role`
  /// ("teacher"); replaced on each attempt, removed by reset_run.
  void record_input(const std::string& run_id, const RunInput& input);
  std::optional<RunInput> run_input(const std::string& run_id, const std::string& role) const;
  /// Completed runs that read `run_key`'s weights: as their teacher, or as their init_from.
  std::vector<RunRecord> completed_dependents(const std::string& run_key) const;

  std::vector<MetricPoint> metric_series(const std::string& run_id, const std::string& key) const;
  std::vector<std::string> metric_keys(const std::string& run_id) const;
  std::vector<MetricSummary> summaries(const std::string& run_id) const;
  /// Runs filtered by experiment / status ("" = any), newest first.
  std::vector<RunRecord> runs(const std::string& experiment = "",
                              const std::string& status = "") const;
  std::vector<std::string> experiments() const;
  std::optional<nlohmann::json> experiment_definition(const std::string& name) const;

  /// Executes read-only SQL; returns column names and rows of values as JSON (null, number, text).
  struct QueryResult {
    std::vector<std::string> columns;
    std::vector<std::vector<nlohmann::json>> rows;
  };
  QueryResult query(const std::string& sql) const;

  /// Bounds of a streamed query; 0 = none.
  struct QueryLimits {
    int64_t max_rows = 0;
    double timeout_seconds = 0;       ///< wall time from the first step
    std::function<bool()> cancelled;  ///< polled while SQLite works (e.g. a SIGINT flag)
  };
  enum class QueryEnd {
    Done,       ///< every row was passed on
    RowLimit,   ///< max_rows rows were passed on and the statement had more
    Timeout,    ///< timeout_seconds passed first
    Cancelled,  ///< `cancelled` returned true first
  };
  using QueryColumns = std::function<void(const std::vector<std::string>& columns)>;
  using QueryRow = std::function<void(const std::vector<nlohmann::json>& row)>;
  /// Same checks as query(sql), but streams: `on_columns` once, then `on_row` for each row as
  /// SQLite produces it; nothing is buffered. A timeout or cancellation interrupts SQLite itself
  /// (sqlite3_progress_handler), also inside a long step that returns no rows.
  QueryEnd query(const std::string& sql, const QueryLimits& limits, const QueryColumns& on_columns,
                 const QueryRow& on_row) const;

  /// Merges the run `run_key` of another store file (a sweep shard) into this one, in one
  /// transaction; defined in store/merge_run.cpp.
  MergeResult merge_run(const std::filesystem::path& source_db, const std::string& run_key,
                        const MergeOptions& options);
  /// Every ingest that changed this store, newest first.
  std::vector<IngestLogEntry> ingest_log(const std::string& run_key = "") const;

 private:
  void insert_metrics(const char* op, const std::string& run_id, int64_t epoch, int64_t step,
                      const std::map<std::string, double>& metrics, bool main_epoch);
  void open_read_write();
  void open_read_only();
  void migrate();
  void require_writable(const char* operation) const;
  std::optional<RunRecord> select_one_run(const std::string& where, const std::string& arg) const;
  void write_params(const std::string& run_id);

  std::filesystem::path path_;
  Mode mode_ = Mode::ReadWrite;
  std::unique_ptr<SQLite::Database> db_;
  Journal journal_ = Journal::Wal;
};

}  // namespace dfkd::host
