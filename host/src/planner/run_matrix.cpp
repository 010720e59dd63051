#include "planner/run_matrix.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "dfkd/errors.hpp"
#include "engine/engine.hpp"
#include "engine/environment.hpp"
#include "engine/signals.hpp"
#include "planner/cost_estimate.hpp"
#include "planner/definitions.hpp"
#include "planner/forced_reruns.hpp"
#include "planner/live_progress.hpp"
#include "planner/local_scheduler.hpp"
#include "planner/progress.hpp"

namespace dfkd::host {
namespace {

using Clock = std::chrono::steady_clock;

/// How long an interrupted worker may take to reach the end of its iteration by itself.
constexpr double kWorkerStopGraceSeconds = 2.0;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void print_plan(const std::vector<RunRecord>& runs, const Experiment& exp,
                const ResultsStore* store, const std::set<std::string>& reruns, int jobs,
                std::FILE* out) {
  std::optional<CostEstimate> estimate;
  if (store) estimate.emplace(*store);
  int to_run = 0, unknown = 0;
  double total = 0;
  fmt::print(out, "Plan for {} (profile {}): {} runs\n", exp.name, exp.profile, runs.size());
  // Wide enough for the longest label (grid rows' names are long).
  size_t width = 34;
  for (const auto& r : runs) width = std::max(width, display_width(run_label(r)));
  for (const auto& r : runs) {
    const bool rerun = reruns.count(r.run_key) > 0;
    const bool cached = r.status == RunStatus::Completed && !rerun;
    std::string cost;
    if (!cached) {
      ++to_run;
      const double s = estimate ? estimate->seconds(r) : std::nan("");
      if (std::isnan(s)) {
        ++unknown;
      } else {
        total += s;
        cost = fmt::format(", ~{}", format_duration(s));
      }
    }
    const std::string state = cached             ? "cached"
                              : rerun            ? "rerun"
                              : r.run_id.empty() ? "new"
                                                 : to_string(r.status);
    const TrainSettings train = r.config.get<RunConfig>().train;
    // 0 iterations per epoch means one pass over the training split.
    const std::string epoch = train.iterations_per_epoch > 0
                                  ? fmt::format("{} it/epoch", train.iterations_per_epoch)
                                  : std::string("one pass/epoch");
    fmt::print(out, "  {:<10} {:<{}} {:<10} {} epochs x {}, method {}{}\n", r.run_key.substr(0, 10),
               run_label(r), width, state, train.epochs, epoch, r.method, cost);
  }
  fmt::print(out, "{} to run, {} cached. ", to_run, runs.size() - to_run);
  if (to_run == 0) {
    fmt::print(out, "Nothing to train.\n");
    return;
  }
  if (unknown == to_run) {
    fmt::print(out,
               "No estimate yet: nothing of the same profile, column, method and budget has "
               "completed in the store.\n");
    return;
  }
  fmt::print(out, "Estimated {} of training", format_duration(total));
  // A lower bound: students wait for their teachers, so the jobs are not always all busy.
  if (jobs > 1)
    fmt::print(out, ", at least about {} with {} jobs", format_duration(total / jobs), jobs);
  if (unknown > 0)
    fmt::print(out, ", plus {} run(s) with nothing comparable in the store yet", unknown);
  fmt::print(out,
             " (each run's epochs at the median epoch of completed runs of the same profile, "
             "column, method, regularizers and budget).\n");
}

// A plugin rebuilt without a new version keeps its runs' keys, so its old results are reused as
// they are: fine for a rebuild that changes nothing, misleading while one develops the plugin.
// One line per plugin whose library differs from the one that trained cached runs.
std::vector<std::string> rebuilt_plugin_warnings(const std::vector<RunRecord>& runs,
                                                 const ResultsStore& store,
                                                 const PluginHost& plugins) {
  struct Rebuilt {
    int runs = 0;
    std::set<std::string> before;
    PluginRecord now;
  };
  std::map<std::string, Rebuilt> rebuilt;  // by "kind name"
  for (const auto& r : runs) {
    if (r.status != RunStatus::Completed) continue;
    const auto now = plugins_of(r.config.get<RunConfig>(), plugins);
    for (const auto& before : store.run_plugins(r.run_id))
      for (const auto& p : now)
        if (p.kind == before.kind && p.name == before.name && !before.file_sha256.empty() &&
            p.file_sha256 != before.file_sha256) {
          auto& b = rebuilt[p.kind + " " + p.name];
          ++b.runs;
          b.before.insert(before.file_sha256.substr(0, 12));
          b.now = p;
        }
  }
  std::vector<std::string> out;
  for (const auto& [what, b] : rebuilt)
    out.push_back(fmt::format(
        "{} plugin '{}' {}: {} cached run(s) were trained by another build of it (library "
        "sha256 {}; loaded now: {}, {}); their results are reused. If what the plugin computes "
        "changed, give it a new version in info() (new run keys) or rerun them with --force",
        b.now.kind, b.now.name, b.now.version, b.runs, fmt::join(b.before, ", "),
        b.now.file_sha256.substr(0, 12), b.now.file_path));
  return out;
}

}  // namespace

std::vector<PluginRecord> plugins_of(const RunConfig& config, const PluginHost& plugins) {
  std::vector<PluginRecord> out;
  auto add = [&](PluginKind kind, const PluginChoice& choice) {
    const auto& p = plugins.get(kind, choice.plugin);
    out.push_back({to_string(kind), p.entry.name, p.entry.version, p.file_sha256, p.file.string(),
                   p.interface_id});
  };
  add(PluginKind::Dataset, config.dataset);
  add(PluginKind::Model, config.model);
  add(PluginKind::Method, config.method);
  if (config.generator) add(PluginKind::Generator, *config.generator);
  for (const auto& r : config.regularizers) add(PluginKind::Regularizer, r);
  for (const auto& a : config.augmentations) add(PluginKind::Augmentation, a);
  if (config.pruning) add(PluginKind::Pruner, *config.pruning);
  return out;
}

std::vector<RunRecord> plan_runs(const Experiment& exp, const std::vector<CellRun>& cells,
                                 ResultsStore& store) {
  std::vector<RunRecord> runs;
  std::set<std::string> planned_keys;
  for (const auto& c : cells) {
    RunPlan plan{c.run_key,   exp.name, c.row,    c.column,         c.seed,
                 exp.profile, c.role,   c.method, c.parent_run_key, c.config};
    auto rec = store.plan_run(plan);
    if (!c.row.empty())
      store.link_cell({exp.name, exp.profile, c.row, c.column, c.seed, c.run_key});
    // Cells may share a run (one teacher for several columns): it is trained once.
    if (!planned_keys.insert(c.run_key).second) continue;
    rec.row = c.row.empty() ? rec.row : c.row;  // label by this experiment's row names
    runs.push_back(rec);
  }
  return runs;
}

std::vector<RunRecord> preview_runs(const Experiment& exp, const std::vector<CellRun>& cells,
                                    const ResultsStore* store) {
  std::vector<RunRecord> runs;
  std::set<std::string> seen;
  for (const auto& c : cells) {
    if (!seen.insert(c.run_key).second) continue;
    std::optional<RunRecord> found = store ? store->find_run_by_key(c.run_key) : std::nullopt;
    RunRecord rec;
    if (found) {
      rec = *found;
    } else {
      rec.run_key = c.run_key;
      rec.experiment = exp.name;
      rec.profile = exp.profile;
      rec.column = c.column;
      rec.seed = c.seed;
      rec.role = c.role;
      rec.method = c.method;
      rec.parent_run_key = c.parent_run_key;
      rec.config = c.config;
    }
    rec.row = c.row.empty() ? rec.row : c.row;
    runs.push_back(std::move(rec));
  }
  return runs;
}

void preview_matrix(const Experiment& exp, const std::vector<CellRun>& cells,
                    const ResultsStore* store, const RunMatrixOptions& opt, std::FILE* out) {
  check_definition(exp, store, opt.replace_definition, out);
  const auto runs = preview_runs(exp, cells, store);
  const auto forced = plan_forced_reruns(runs, store, opt.force, opt.force_teacher);
  print_plan(runs, exp, store, forced.run_keys, parallelism_for(opt).jobs, out);
  for (const auto& note : forced.notes) fmt::print(out, "{}\n", note);
  fmt::print(out, "Dry run: nothing was written{}.\n",
             store ? fmt::format(" to {}", store->path().string()) : "");
}

RunMatrixSummary run_matrix(const Experiment& exp, const std::vector<CellRun>& cells,
                            const PluginHost& plugins, ResultsStore& store,
                            const RunMatrixOptions& opt, std::FILE* out) {
  const auto t_start = Clock::now();
  store_definition(exp, store, opt.replace_definition, out);
  auto runs = plan_runs(exp, cells, store);
  LocalScheduler scheduler(exp, plugins, store, opt, out);
  scheduler.reset_forced_reruns(runs);
  for (const auto& w : rebuilt_plugin_warnings(runs, store, plugins))
    fmt::print(stderr, "dfkd: warning: {}\n", w);
  RunMatrixSummary summary = scheduler.train(runs);
  summary.planned = static_cast<int>(runs.size());
  summary.wall_seconds = seconds_since(t_start);
  return summary;
}

int run_claimed(const PluginHost& plugins, ResultsStore& store, const WorkerOptions& opt,
                std::FILE* out) {
  auto run = store.find_run(opt.run_id);
  if (!run)
    throw ConfigError(fmt::format("no run with id '{}' in {}", opt.run_id, store.path().string()));
  if (run->status != RunStatus::Running || !store.adopt_claim(run->run_id))
    throw ConfigError(
        fmt::format("run {} is {}, not claimed for a worker: `dfkd worker --run` trains runs a "
                    "`dfkd run --jobs N` process has claimed; run the experiment with `dfkd run`",
                    run->run_id, to_string(run->status)));
  torch::set_num_threads(std::max(1, opt.threads));
  install_interrupt_handlers();
  const auto t0 = Clock::now();
  // SIGTERM comes from the parent (Ctrl-C) or from the kernel when the parent died (PDEATHSIG):
  // either way stop within seconds, not after the current iteration, however long that is.
  InterruptWatchdog watchdog(kWorkerStopGraceSeconds, [&] {
    try {
      ResultsStore own(store.path());  // its own connection: the main thread may be mid-statement
      const auto now = own.find_run(run->run_id);
      own.end_run(
          run->run_id, RunStatus::Killed,
          fmt::format(
              "interrupted by signal {} ({}) during epoch {}; the worker stopped without finishing "
              "its iteration; the last epoch checkpoint is kept and a rerun resumes from it",
              interrupt_signal(), strsignal(interrupt_signal()), now ? now->epochs_done + 1 : 0),
          seconds_since(t0));
    } catch (const std::exception& e) {  // e.g. it completed meanwhile: nothing left to record
      fmt::print(stderr, "dfkd worker: {}\n", e.what());
    }
    std::fflush(nullptr);
    _exit(130);
  });
  Progress progress(out, /*lines_only=*/true);
  if (opt.live_progress)
    // The parent reads our output: if it dies, writes fail with EPIPE (the run goes on, PDEATHSIG
    // stops it cleanly) instead of SIGPIPE killing us before the run is recorded as killed.
    std::signal(SIGPIPE, SIG_IGN);
  bool parent_listens = true;
  ProgressReporter reporter([out, &parent_listens](const RunProgress& p) {
    if (!parent_listens) return;
    try {
      fmt::print(out, "{}\n", progress_line(p));
      std::fflush(out);
    } catch (const std::exception&) {
      parent_listens = false;  // progress is a courtesy; the run does not fail over it
    }
  });
  EngineOptions engine_options{resolve_device(opt.device), run->environment_id,
                               [&](const EpochReport& r) { progress.epoch(r, opt.position); }};
  if (opt.live_progress) {
    engine_options.on_epoch = [&](const EpochReport& r) { reporter.epoch(r); };
    engine_options.on_progress = [&](const IterationReport& r) { reporter.iteration(r); };
  }
  Engine engine(plugins, store, engine_options);
  switch (engine.execute(*run)) {
    case RunOutcome::Completed:
      return 0;
    case RunOutcome::Killed:
      return 130;
    default:
      return 1;
  }
}

}  // namespace dfkd::host
