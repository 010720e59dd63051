#pragma once
/// A sweep directory: the runs one `dfkd slurm submit` handed to Slurm, one array task each, and
/// everything the tasks write. Layout (docs/slurm.md):
///   manifest.json   experiment, profile, store, staged binaries, Slurm job ids, sbatch options
///   tasks.jsonl     line i = array index i: the run's plan and the table cells it fills
///   task.sbatch     the array job script every task runs; ingest.sbatch the dependent merge
///   inputs/run.db   completed teachers from the main store that students here need
///   shards/<run_key>/  run.db (single-writer store), artifacts/, shard.json, DONE
///   logs/           %A_%a.out per task, ingest-%j.out
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/results_store.hpp"

namespace dfkd::host {

struct SweepTask {
  int index = 0;  ///< the Slurm array index
  int level = 0;  ///< 0: needs nothing from this sweep; n: its teacher is a level n-1 task
  RunPlan plan;   ///< with the main store's run_id
  std::vector<CellRecord> cells;
};

/// One `sbatch --array` of the sweep: tasks first..last, all of one level.
struct SweepArray {
  int first = 0, last = 0;
  std::string job_id;  ///< "" until submitted
};

/// What every job of a sweep asks Slurm for: the options `dfkd slurm submit` was given.
struct SlurmJobOptions {
  std::string partition, time;  ///< "" = the cluster's defaults
  std::string device = "auto";  ///< passed to every task's `dfkd worker`
  int cpus_per_task = 1;        ///< also the worker's intra-op threads
  int gpus_per_task = 0;
  int max_parallel = 0;  ///< the arrays' %K throttle; 0 = none
  int warning_seconds =
      120;  ///< --signal=B:USR1@N: checkpoint and requeue this long before the limit
  std::vector<std::string> sbatch_args;  ///< verbatim in every job script, e.g. --account=...
};

struct SweepManifest {
  std::string sweep_id, experiment, profile, created_at;
  std::filesystem::path store;    ///< the main results store ingest writes to
  std::filesystem::path workdir;  ///< where `submit` ran; tasks start there
  std::filesystem::path staged;   ///< immutable copy of dfkd + plugins the tasks execute
  SlurmJobOptions job;
  std::vector<SweepArray> arrays;
  std::string ingest_job_id;
  nlohmann::json experiment_definition;
};

/// The status a finished task leaves in its shard's DONE marker.
struct DoneMarker {
  std::string run_key, status, finished_at;
};

class Sweep {
 public:
  /// Writes manifest.json and tasks.jsonl into a new directory `dir`.
  static Sweep create(const std::filesystem::path& dir, SweepManifest manifest,
                      std::vector<SweepTask> tasks);
  /// Reads a sweep directory; throws ConfigError naming the file and what is wrong.
  static Sweep open(const std::filesystem::path& dir);
  static bool is_sweep_dir(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const SweepManifest& manifest() const { return manifest_; }
  const std::vector<SweepTask>& tasks() const { return tasks_; }
  const SweepTask& task(int index) const;  ///< throws ConfigError if out of range
  const SweepTask* task_for_key(const std::string& run_key) const;
  void set_job_ids(const std::vector<std::string>& array_jobs, const std::string& ingest_job);

  std::filesystem::path inputs_db() const { return dir_ / "inputs" / "run.db"; }
  std::filesystem::path shard_dir(const SweepTask& t) const {
    return dir_ / "shards" / t.plan.run_key;
  }
  std::filesystem::path shard_db(const SweepTask& t) const { return shard_dir(t) / "run.db"; }
  std::filesystem::path logs_dir() const { return dir_ / "logs"; }
  /// The array job that runs task `index` ("" before submission).
  std::string job_of(int index) const;

 private:
  void save_manifest() const;
  std::filesystem::path dir_;
  SweepManifest manifest_;
  std::vector<SweepTask> tasks_;
};

/// A shard's identity, written by the task before anything else (ingest needs to know which run
/// of the shard's store is its own: a student's shard also holds its borrowed teacher).
struct ShardInfo {
  std::string run_key, sweep_id, slurm_job, hostname;
  int index = 0;
  int64_t restart_count = 0;
};
void write_shard_info(const std::filesystem::path& shard_dir, const ShardInfo& info);
/// nullopt if the shard never started (no shard.json).
std::optional<ShardInfo> read_shard_info(const std::filesystem::path& shard_dir);

void write_done_marker(const std::filesystem::path& shard_dir, const DoneMarker& done);
std::optional<DoneMarker> read_done_marker(const std::filesystem::path& shard_dir);

/// Writes `text` to `file` atomically (a temporary beside it, then rename).
void write_file_atomically(const std::filesystem::path& file, const std::string& text);

}  // namespace dfkd::host
