#pragma once
/// `dfkd ingest SWEEP_DIR|SHARD|ARCHIVE...`: merges sweep shards, and results archives
/// (store/archive.hpp), into the main results store, one transaction per run. Ingesting twice
/// changes nothing; a task that ended without an outcome is recorded as lost (killed, error "lost:
/// ..."), so the next `dfkd slurm submit` plans it again.
#include <cstdio>
#include <filesystem>
#include <vector>

#include "slurm/task_state.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct IngestOptions {
  /// Shards outside a reachable Slurm (copied home): no heartbeat for this long means lost.
  double lost_after_seconds = kDefaultLostAfterSeconds;
};

struct IngestSummary {
  int merged = 0, unchanged = 0, lost = 0, in_progress = 0, not_started = 0, kept = 0;
  int kept_own = 0;  ///< an archive's diverged run where the store has its own attempt
  int errors = 0;    ///< shards that could not be merged (each reported; the others still were)
};

IngestSummary ingest(ResultsStore& store, const std::vector<std::filesystem::path>& inputs,
                     const IngestOptions& options, std::FILE* out);

}  // namespace dfkd::host
