#include "planner/run_matrix.hpp"

#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <optional>
#include <set>
#include <thread>

#include "dfkd/errors.hpp"
#include "engine/engine.hpp"
#include "engine/environment.hpp"
#include "engine/signals.hpp"
#include "planner/cost_estimate.hpp"
#include "planner/definitions.hpp"
#include "planner/forced_reruns.hpp"
#include "planner/progress.hpp"
#include "planner/worker_pool.hpp"

namespace dfkd::host {
namespace {

using Clock = std::chrono::steady_clock;

/// How long an interrupted worker may take to reach the end of its iteration by itself.
constexpr double kWorkerStopGraceSeconds = 2.0;

int cores() { return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN))); }

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double final_value(const ResultsStore& store, const std::string& run_id, const std::string& key) {
  for (const auto& s : store.summaries(run_id))
    if (s.key == key) return s.final_value;
  return std::nan("");
}

void print_plan(const std::vector<RunRecord>& runs, const Experiment& exp, const ResultsStore* store,
                const std::set<std::string>& reruns, int jobs, std::FILE* out) {
  std::optional<CostEstimate> estimate;
  if (store) estimate.emplace(*store);
  int to_run = 0, unknown = 0;
  double total = 0;
  fmt::print(out, "Plan for {} (profile {}): {} runs\n", exp.name, exp.profile, runs.size());
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
    const std::string state = cached ? "cached" : rerun ? "rerun" : r.run_id.empty() ? "new" : to_string(r.status);
    fmt::print(out, "  {:<10} {:<34} {:<10} {} epochs x {} it/epoch, method {}{}\n", r.run_key.substr(0, 10),
               run_label(r), state, r.config["train"]["epochs"].get<int64_t>(),
               r.config["train"]["iterations_per_epoch"].get<int64_t>(), r.method, cost);
  }
  fmt::print(out, "{} to run, {} cached. Estimated {} of training", to_run, runs.size() - to_run,
             format_duration(total));
  if (unknown > 0) fmt::print(out, " plus {} run(s) with nothing comparable in the store yet", unknown);
  fmt::print(out, " (from completed runs of the same profile, column, method and budget; {} job{}).\n",
             jobs, jobs == 1 ? "" : "s");
}

int jobs_for(const RunMatrixOptions& opt) {
  if (!opt.time_iterations.empty() || opt.profile_step >= 0) return 1;  // measured in this process
  const int threads = opt.threads > 0 ? opt.threads : cores();
  return std::max(1, std::min(opt.jobs > 0 ? opt.jobs : default_jobs(), threads));
}

/// One planned run waiting in the scheduler's queue.
struct QueuedRun {
  RunRecord planned;
  int index = 0;                ///< 1-based position in the plan
  bool held_elsewhere = false;  ///< another dfkd process held it when we tried to claim it
  Clock::time_point started;
};

}  // namespace

int default_jobs() { return cores(); }

std::vector<PluginRecord> plugins_of(const nlohmann::json& config, const PluginHost& plugins) {
  std::vector<PluginRecord> out;
  auto add = [&](PluginKind kind, const nlohmann::json& spec) {
    if (spec.is_null()) return;
    const auto& p = plugins.get(kind, spec.at("plugin").get<std::string>());
    out.push_back({to_string(kind), p.entry.name, p.entry.version, p.file_sha256, p.file.string(),
                   p.interface_id});
  };
  add(PluginKind::Dataset, config.at("dataset"));
  add(PluginKind::Model, config.at("model"));
  add(PluginKind::Method, config.at("method"));
  add(PluginKind::Generator, config.at("generator"));
  for (const auto& r : config.at("regularizers")) add(PluginKind::Regularizer, r);
  return out;
}

std::vector<RunRecord> plan_runs(const Experiment& exp, const std::vector<CellRun>& cells, ResultsStore& store) {
  std::vector<RunRecord> runs;
  std::set<std::string> planned_keys;
  for (const auto& c : cells) {
    RunPlan plan{c.run_key, exp.name, c.row, c.column, c.seed, exp.profile, c.role, c.method,
                 c.parent_run_key, c.config};
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

void preview_matrix(const Experiment& exp, const std::vector<CellRun>& cells, const ResultsStore* store,
                    const RunMatrixOptions& opt, std::FILE* out) {
  check_definition(exp, store, opt.replace_definition, out);
  const auto runs = preview_runs(exp, cells, store);
  const auto forced = plan_forced_reruns(runs, store, opt.force, opt.force_teacher);
  print_plan(runs, exp, store, forced.run_keys, jobs_for(opt), out);
  for (const auto& note : forced.notes) fmt::print(out, "{}\n", note);
  fmt::print(out, "Dry run: nothing was written{}.\n", store ? fmt::format(" to {}", store->path().string()) : "");
}

RunMatrixSummary run_matrix(const Experiment& exp, const std::vector<CellRun>& cells,
                            const PluginHost& plugins, ResultsStore& store,
                            const RunMatrixOptions& opt, std::FILE* out) {
  const auto t_start = Clock::now();
  RunMatrixSummary summary;
  store_definition(exp, store, opt.replace_definition, out);
  auto runs = plan_runs(exp, cells, store);
  summary.planned = static_cast<int>(runs.size());

  const int threads = opt.threads > 0 ? opt.threads : cores();
  const int jobs = jobs_for(opt);
  const int worker_threads = std::max(1, threads / jobs);

  const bool in_process = jobs == 1;
  // With workers the parent only schedules; its own pool stays small.
  torch::set_num_threads(in_process ? threads : 1);
  const auto device = resolve_device(opt.device);
  const auto env_id = store.ensure_environment(probe_environment(device.str(), worker_threads));
  install_interrupt_handlers();
  Progress progress(out, /*lines_only=*/!in_process);
  const int total = static_cast<int>(runs.size());
  auto position = [&](const QueuedRun& q) { return fmt::format("[{}/{}]", q.index, total); };

  std::string current_position;
  EngineOptions engine_options{device, env_id, [&](const EpochReport& r) { progress.epoch(r, current_position); }};
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> timings(nullptr, &std::fclose);
  if (!opt.time_iterations.empty()) {
    timings.reset(std::fopen(opt.time_iterations.c_str(), "a"));
    if (!timings)
      throw ConfigError(fmt::format("--time-iterations {}: cannot open the file for writing: {}", opt.time_iterations,
                                    std::strerror(errno)));
    engine_options.on_iteration = [&](const RunRecord& r, int64_t step, double seconds) {
      fmt::print(timings.get(), "{{\"run_key\": \"{}\", \"row\": \"{}\", \"step\": {}, \"seconds\": {:.6f}}}\n",
                 r.run_key, r.row, step, seconds);
      std::fflush(timings.get());
    };
  }
  engine_options.profile_step = opt.profile_step;
  engine_options.on_op_profile = [&](const RunRecord& r, const OpProfile& p) {
    progress.line(fmt::format("dfkd: operators of {} at global step {} by self time:\n{}", run_label(r),
                              opt.profile_step, render_op_profile(p, 25)));
  };
  Engine engine(plugins, store, engine_options);
  // Forced reruns start over; their artifacts stay (immutable files, rows kept) so that runs which
  // learned from them still find exactly those weights.
  const auto forced = plan_forced_reruns(runs, &store, opt.force, opt.force_teacher);
  for (const auto& note : forced.notes) progress.line("dfkd: " + note);
  for (auto& r : runs)
    if (forced.run_keys.count(r.run_key) && store.reset_run(r.run_id)) {
      std::filesystem::remove(engine.artifact_dir(r) / "checkpoint.pt");
      r.status = RunStatus::Planned;
    }
  if (!in_process)
    progress.line(fmt::format("dfkd: {} worker processes x {} thread{}", jobs, worker_threads,
                              worker_threads == 1 ? "" : "s"));

  std::deque<QueuedRun> queue;
  std::set<std::string> queued_keys;
  for (size_t i = 0; i < runs.size(); ++i) {
    queue.push_back({runs[i], static_cast<int>(i) + 1});
    queued_keys.insert(runs[i].run_key);
  }
  std::map<std::string, QueuedRun> active;  // run_id -> run being trained by a worker
  std::set<std::string> failed_keys;        // failed in this invocation: their students are skipped
  WorkerPool pool(jobs);
  const auto db = std::filesystem::absolute(store.path()).string();

  // Reports a run this process trained (in-process or by its worker) from what the store says.
  auto report = [&](const QueuedRun& q, const std::string& worker_death) {
    auto rec = store.find_run(q.planned.run_id);
    const std::string what = fmt::format("{} {}", position(q), run_label(q.planned));
    if (rec && rec->status == RunStatus::Running && !worker_death.empty()) {
      // The worker died without recording an outcome (crash, OOM kill): say so, and free the run.
      // After Ctrl-C it was our SIGTERM, before the worker could handle it (still starting):
      // the run was interrupted, not broken, and resumes like any killed run.
      if (interrupt_requested())
        store.end_run(rec->run_id, RunStatus::Killed,
                      "interrupted (Ctrl-C) while its worker process was starting", seconds_since(q.started));
      else
        store.end_run(rec->run_id, RunStatus::Failed, worker_death, seconds_since(q.started));
      rec = store.find_run(q.planned.run_id);
    }
    queued_keys.erase(q.planned.run_key);
    switch (rec ? rec->status : RunStatus::Failed) {
      case RunStatus::Completed:
        ++summary.completed;
        progress.line(fmt::format("{}  completed in {}: {} {:.2f}", what, format_duration(seconds_since(q.started)),
                                  exp.metric.key, final_value(store, rec->run_id, exp.metric.key)));
        break;
      case RunStatus::Killed:
        summary.interrupted = true;
        progress.line(fmt::format("{}  killed: {}", what, rec->error));
        break;
      default:
        ++summary.failed;
        failed_keys.insert(q.planned.run_key);
        progress.line(fmt::format("{}  FAILED: {}", what, rec ? rec->error : "its record disappeared"));
    }
  };

  bool stopping = false;
  while (!queue.empty() || !pool.empty()) {
    if (interrupt_requested() && !stopping) {
      stopping = true;
      summary.interrupted = true;
      if (!pool.empty()) {
        progress.line("dfkd: interrupted; the workers are saving their last epoch checkpoint");
        pool.signal_all(SIGTERM);
      }
    }
    bool launched = false;
    for (auto it = queue.begin(); !stopping && it != queue.end() && pool.has_free_slot();) {
      QueuedRun& q = *it;
      const auto current = store.find_run_by_key(q.planned.run_key);
      RunRecord rec = current ? *current : q.planned;
      rec.row = q.planned.row;
      const std::string what = fmt::format("{} {}", position(q), run_label(rec));
      if (rec.status == RunStatus::Completed) {
        if (q.held_elsewhere) {
          ++summary.by_others;
          progress.line(fmt::format("{}  completed by another dfkd process", what));
        } else {
          ++summary.cached;
          progress.line(fmt::format("{}  cached ({:.2f}% {})", what, final_value(store, rec.run_id, exp.metric.key),
                                    exp.metric.key));
        }
        queued_keys.erase(rec.run_key);
        it = queue.erase(it);
        continue;
      }
      if (!rec.parent_run_key.empty()) {
        const auto parent = store.find_run_by_key(rec.parent_run_key);
        const bool parent_pending = parent && !failed_keys.count(rec.parent_run_key) &&
                                    (parent->status == RunStatus::Running || queued_keys.count(rec.parent_run_key));
        if (!parent || (parent->status != RunStatus::Completed && !parent_pending)) {
          ++summary.skipped;
          progress.line(fmt::format("{}  skipped: its teacher did not complete", what));
          queued_keys.erase(rec.run_key);
          it = queue.erase(it);
          continue;
        }
        if (parent->status != RunStatus::Completed) {  // queued here or training elsewhere
          ++it;
          continue;
        }
      }
      if (!store.claim_run(rec.run_id, env_id)) {
        if (!q.held_elsewhere)
          progress.line(fmt::format("{}  held by another dfkd process; waiting for it", what));
        q.held_elsewhere = true;
        ++it;
        continue;
      }
      store.record_plugins(rec.run_id, plugins_of(rec.config, plugins));
      q.started = Clock::now();
      launched = true;
      if (in_process) {
        auto claimed = *store.find_run(rec.run_id);
        claimed.row = rec.row;
        current_position = position(q);
        engine.execute(claimed);
        report(q, "");
        it = queue.erase(it);
        if (summary.interrupted) stopping = true;
        break;  // rescan: what this run unblocked may sit earlier in the queue
      }
      pool.start(rec.run_id, {"worker", "--db", db, "--run", rec.run_id, "--threads",
                              std::to_string(worker_threads), "--device", opt.device, "--position", position(q)});
      active.emplace(rec.run_id, q);
      it = queue.erase(it);
    }
    if (stopping && pool.empty()) break;
    // Wait for a worker (or, with nothing to launch, for runs other processes hold) before rescanning.
    const double wait = launched ? 0.0 : 1.0;
    const auto finished = pool.reap(wait);
    for (const auto& f : finished) {
      auto node = active.extract(f.run_id);
      const std::string death =
          f.signal ? fmt::format("its worker process died of signal {} ({}) before recording an outcome",
                                 f.signal, strsignal(f.signal))
                   : f.exit_code == 127 ? std::string("its worker process could not be started (exec failed)")
                                        : fmt::format("its worker process exited with code {} before recording an "
                                                      "outcome; its output is above", f.exit_code);
      report(node.mapped(), death);
    }
    if (!launched && finished.empty() && pool.empty() && !queue.empty())
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  summary.wall_seconds = seconds_since(t_start);
  return summary;
}

int run_claimed(const PluginHost& plugins, ResultsStore& store, const WorkerOptions& opt, std::FILE* out) {
  auto run = store.find_run(opt.run_id);
  if (!run) throw ConfigError(fmt::format("no run with id '{}' in {}", opt.run_id, store.path().string()));
  if (run->status != RunStatus::Running || !store.adopt_claim(run->run_id))
    throw ConfigError(fmt::format("run {} is {}, not claimed for a worker: `dfkd worker --run` trains runs a "
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
      own.end_run(run->run_id, RunStatus::Killed,
                  fmt::format("interrupted by signal {} ({}) during epoch {}; the worker stopped without finishing "
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
  Engine engine(plugins, store,
                EngineOptions{resolve_device(opt.device), run->environment_id,
                              [&](const EpochReport& r) { progress.epoch(r, opt.position); }});
  switch (engine.execute(*run)) {
    case RunOutcome::Completed: return 0;
    case RunOutcome::Killed: return 130;
    default: return 1;
  }
}

}  // namespace dfkd::host
