#pragma once
/// `dfkd slurm submit`: plans an experiment like `dfkd run` (completed run_keys skipped), writes a
/// sweep directory, stages the binary and plugins, and submits one Slurm job array per dependency
/// level (teachers before their students: planner/dependencies.hpp) plus a dependent ingest job.
/// Returns at once.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "slurm/sweep.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct SubmitOptions {
  SlurmJobOptions job;
  std::filesystem::path sweeps_dir;  ///< "" = <store dir>/sweeps
  bool dry_run = false;              ///< print the plan and the sbatch commands only
  /// Submit the dependent ingest job. Off when the results store is on a filesystem the compute
  /// nodes should not write (WAL needs one host): then `dfkd ingest` runs where the store lives.
  bool ingest_job = true;
  bool replace_definition = false;  ///< as `dfkd run --replace-definition`
};

struct SubmitResult {
  std::filesystem::path sweep_dir;  ///< empty when nothing was submitted
  int tasks = 0, cached = 0, in_flight = 0;
  std::vector<std::string> array_jobs;
  std::string ingest_job;
};

SubmitResult submit_sweep(const Experiment& exp, const std::vector<CellRun>& cells,
                          const PluginHost& plugins, ResultsStore& store,
                          const SubmitOptions& options, std::FILE* out);

/// Copies this dfkd executable, its SDK library and every loaded plugin into
/// `root`/<content hash>/ (reused when it exists) and returns that directory.
std::filesystem::path stage_binaries(const PluginHost& plugins, const std::filesystem::path& root);

}  // namespace dfkd::host
