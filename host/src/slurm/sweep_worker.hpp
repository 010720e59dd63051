#pragma once
/// `dfkd worker --sweep DIR [--index I]`: one Slurm array task trains one run into its own shard
/// store inside the sweep directory, never the shared results store.
#include <cstdio>
#include <filesystem>
#include <string>

#include "loader/plugin_host.hpp"

namespace dfkd::host {

struct SweepWorkerOptions {
  std::filesystem::path sweep_dir;
  int index = -1;  ///< -1: $SLURM_ARRAY_TASK_ID
  std::string device = "auto";
  int threads = 1;
};

/// Exit code: 0 completed, or checkpointed and requeued after Slurm's warning signal; 1 failed;
/// 130 interrupted (scancel, Ctrl-C) and not requeued.
int run_sweep_task(const PluginHost& plugins, const SweepWorkerOptions& options, std::FILE* out);

}  // namespace dfkd::host
