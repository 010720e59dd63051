#pragma once
/// `dfkd slurm status SWEEP_DIR`: per task queued / running / completed / failed / lost, from
/// Slurm's queue and the shards, and whether the main store has it yet.
#include <cstdio>
#include <filesystem>

namespace dfkd::host {

/// `store`: the main store to compare with ("" = the one the sweep was submitted for).
/// Returns the number of tasks not yet completed.
int print_sweep_status(const std::filesystem::path& sweep_dir, const std::filesystem::path& store,
                       double lost_after_seconds, std::FILE* out);

}  // namespace dfkd::host
