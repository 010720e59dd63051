#include "slurm/ingest.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "dfkd/errors.hpp"
#include "planner/definitions.hpp"
#include "planner/progress.hpp"
#include "slurm/task_state.hpp"
#include "store/archive.hpp"

namespace fs = std::filesystem;

namespace dfkd::host {
namespace {

/// A shard copied out of its sweep (e.g. rsynced from a machine without a shared filesystem) is
/// wrapped in a one-task view: its own run comes from shard.json, and Slurm is not consulted.
struct LooseShard {
  fs::path dir;
  ShardInfo info;
};

LooseShard loose_shard(const fs::path& input) {
  const fs::path dir = fs::is_regular_file(input) ? input.parent_path() : input;
  if (!fs::exists(dir / "run.db"))
    throw ConfigError(fmt::format(
        "'{}' is neither a sweep directory (manifest.json) nor a shard (run.db)", input.string()));
  auto info = read_shard_info(dir);
  if (!info)
    throw ConfigError(
        fmt::format("shard '{}' has no shard.json saying which run is its own; copy the whole "
                    "shard directory",
                    dir.string()));
  return {fs::absolute(dir), *info};
}

/// One shard to ingest: its store file, its own run, how it is reported, and its provenance.
struct ShardToIngest {
  fs::path db;
  std::string run_key, label;
  TaskState state;
  std::string sweep_id, slurm_job;
  bool archived = false;  ///< from a results archive: its failures never replace an own attempt
};

/// A shard without an outcome to merge yet (still queued or running, or never started) is only
/// reported; returns false for those.
bool has_outcome_to_merge(const ShardToIngest& shard, IngestSummary& sum, std::FILE* out) {
  using Kind = TaskState::Kind;
  const TaskState& state = shard.state;
  if (state.kind == Kind::Queued || state.kind == Kind::Running || state.kind == Kind::InProgress) {
    ++sum.in_progress;
    fmt::print(out, "  {:<40} {} ({}); ingest again when it ends\n", shard.label,
               to_string(state.kind), state.detail);
    return false;
  }
  if (!state.has_shard) {
    ++sum.not_started;
    fmt::print(out, "  {:<40} {}: {}\n", shard.label,
               state.kind == Kind::Lost ? "lost before it started" : "not started", state.detail);
    return false;
  }
  return true;
}

MergeOptions merge_options(const ShardToIngest& shard) {
  MergeOptions merge;
  merge.source = shard.db.parent_path().string();
  merge.sweep_id = shard.sweep_id;
  merge.slurm_job = shard.slurm_job;
  merge.failure_only_where_unstarted = shard.archived;
  if (shard.state.kind == TaskState::Kind::Lost)
    merge.lost_reason =
        fmt::format("lost: {}; `dfkd slurm submit` plans it again", shard.state.detail);
  return merge;
}

void report_merge(const ShardToIngest& shard, const MergeResult& r, IngestSummary& sum,
                  std::FILE* out) {
  const bool lost = shard.state.kind == TaskState::Kind::Lost;
  switch (r.outcome) {
    case MergeResult::Outcome::Merged:
      lost ? ++sum.lost : ++sum.merged;
      fmt::print(out, "  {:<40} {} -> run {}{}\n", shard.label, lost ? "lost" : r.status,
                 r.run_id.substr(0, 12), lost ? " recorded as lost (killed)" : " merged");
      break;
    case MergeResult::Outcome::Unchanged:
      ++sum.unchanged;
      fmt::print(out, "  {:<40} {}, already ingested\n", shard.label, r.status);
      break;
    case MergeResult::Outcome::KeptCompleted:
      ++sum.kept;
      fmt::print(out, "  {:<40} the store already has this run completed (run {}); kept it\n",
                 shard.label, r.run_id.substr(0, 12));
      // Same key, separate training (another machine, another time): not the same weights.
      if (r.source_students > 0)
        fmt::print(out,
                   "  warning: {} source run(s) learned from the source's own training of {}, "
                   "not from the one kept here; this store's tables will show them beside a "
                   "teacher they did not read (ingest the source into a store without this run "
                   "to keep them together)\n",
                   r.source_students, shard.label);
      break;
    case MergeResult::Outcome::KeptOwnAttempt:
      ++sum.kept_own;
      fmt::print(out,
                 "  {:<40} diverged in the archive; the store's own attempt (run {}, {}) is "
                 "newer: kept it\n",
                 shard.label, r.run_id.substr(0, 12), r.status);
      break;
    case MergeResult::Outcome::HeldHere:
      ++sum.in_progress;
      fmt::print(out, "  {:<40} a dfkd process on this store is training it now; not touched\n",
                 shard.label);
      break;
  }
}

/// One shard: decide from its state, merge if it has an outcome (or is lost), report one line.
void ingest_shard(ResultsStore& store, const ShardToIngest& shard, IngestSummary& sum,
                  std::FILE* out) {
  if (!has_outcome_to_merge(shard, sum, out)) return;
  MergeResult r;
  try {
    r = store.merge_run(shard.db, shard.run_key, merge_options(shard));
  } catch (const std::exception& e) {
    // One bad shard must not keep the others out; the exit code says something went wrong.
    ++sum.errors;
    fmt::print(out, "  {:<40} NOT INGESTED: {}\n", shard.label, e.what());
    return;
  }
  report_merge(shard, r, sum, out);
}

void ingest_sweep(ResultsStore& store, const fs::path& dir, const IngestOptions& opt,
                  IngestSummary& sum, std::FILE* out) {
  const Sweep sweep = Sweep::open(dir);
  std::vector<std::string> jobs;
  for (const auto& a : sweep.manifest().arrays) jobs.push_back(a.job_id);
  const auto queue = SlurmQueue::query(jobs);
  fmt::print(out, "dfkd: ingesting sweep {} ({} tasks) into {}\n", sweep.manifest().sweep_id,
             sweep.tasks().size(), store.path().string());
  for (const auto& task : sweep.tasks()) {
    auto state = classify_task(sweep, task, queue, opt.lost_after_seconds);
    const auto info = read_shard_info(sweep.shard_dir(task));
    ingest_shard(store,
                 {sweep.shard_db(task), task.plan.run_key,
                  fmt::format("task {} {}", task.index, run_label(task.plan)), std::move(state),
                  sweep.manifest().sweep_id, info ? info->slurm_job : ""},
                 sum, out);
  }
}

void ingest_loose_shard(ResultsStore& store, const fs::path& input, const IngestOptions& opt,
                        IngestSummary& sum, std::FILE* out) {
  const auto shard = loose_shard(input);
  // Without its sweep there is no Slurm view: the DONE marker and the heartbeat decide.
  const auto state = classify_shard(shard.dir, shard.info.run_key, opt.lost_after_seconds);
  // A finished shard (DONE marker) whose run.db could not be opened read-only (an older schema,
  // say) still goes to the merge, which reads older schemas or says what is wrong. Without the
  // marker nothing says how it ended: merging it would record it as lost.
  const bool finished =
      state.kind == TaskState::Kind::Completed || state.kind == TaskState::Kind::Failed;
  if (!state.run && !(finished && !state.read_error.empty())) {
    ++sum.errors;
    fmt::print(out, "  {:<40} NOT INGESTED: {}\n", shard.dir.string(),
               !state.read_error.empty()
                   ? state.detail
                   : fmt::format("run.db does not hold the shard's own run {} (shard.json and "
                                 "run.db disagree)",
                                 shard.info.run_key));
    return;
  }
  const auto label =
      state.run ? fmt::format("{} {}", shard.dir.filename().string(), run_label(*state.run))
                : shard.dir.filename().string();
  ingest_shard(store,
               {shard.dir / "run.db", shard.info.run_key, label, state, shard.info.sweep_id,
                shard.info.slurm_job},
               sum, out);
}

/// A results archive (`dfkd export`): every run it lists has an outcome (completed, or failed by
/// diverging), so each is merged like a finished shard, except that a failure never replaces a
/// run this store has tried itself; the experiment definitions come first, so `dfkd table` works
/// at once.
void ingest_archive(ResultsStore& store, const fs::path& dir, IngestSummary& sum, std::FILE* out) {
  const auto runs = archived_runs(dir);
  fmt::print(out, "dfkd: ingesting results archive {} ({} runs) into {}\n", dir.string(),
             runs.size(), store.path().string());
  for (const auto& d : copy_archived_definitions(store, dir)) {
    using Action = DefinitionMerge::Action;
    if (d.action == Action::Added) {
      fmt::print(out, "  experiment {}: definition added\n", d.name);
      continue;
    }
    const auto change = describe_definition_change(d.store_definition, d.archive_definition);
    fmt::print(out,
               d.action == Action::Replaced
                   ? "  experiment {}: definition replaced by the archive's newer one ({} against "
                     "the store's {}; {})\n"
                   : "  experiment {}: the store's definition kept, the archive's is older ({} "
                     "against the store's {}; {}); tables by name read the store's\n",
               d.name, d.archive_time, d.store_time, change.empty() ? "the two differ" : change);
  }
  for (const auto& run : runs) {
    TaskState state;
    state.kind = run.status == "failed" ? TaskState::Kind::Failed : TaskState::Kind::Completed;
    state.has_shard = true;
    const auto label = run.row.empty()
                           ? fmt::format("{} {} seed {}", run.role, run.column, run.seed)
                           : fmt::format("{} / {} seed {}", run.row, run.column, run.seed);
    ingest_shard(store, {dir / kArchiveStore, run.run_key, label, state, "", "", true}, sum, out);
  }
}

void print_summary(const IngestSummary& sum, std::FILE* out) {
  // The counts of some inputs only (sweeps, archives) only where they are not zero.
  auto some = [](int n, const char* what) { return n ? fmt::format(", {} {}", n, what) : ""; };
  fmt::print(out, "dfkd: {} merged, {} already ingested{}{}{}{}{}\n", sum.merged, sum.unchanged,
             some(sum.lost, "lost"), some(sum.in_progress, "still queued or running"),
             some(sum.not_started, "not started"),
             some(sum.kept, "kept (completed in the store already)"),
             some(sum.kept_own, "kept (the store's own attempt, newer than the archive's failure)"),
             some(sum.errors, "NOT INGESTED (see above)"));
}

}  // namespace

IngestSummary ingest(ResultsStore& store, const std::vector<fs::path>& inputs,
                     const IngestOptions& opt, std::FILE* out) {
  IngestSummary sum;
  for (const auto& input : inputs) {
    if (Sweep::is_sweep_dir(input))
      ingest_sweep(store, input, opt, sum, out);
    else if (is_archive_dir(input))
      ingest_archive(store, input, sum, out);
    else
      ingest_loose_shard(store, input, opt, sum, out);
  }
  print_summary(sum, out);
  return sum;
}

}  // namespace dfkd::host
