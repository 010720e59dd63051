#include "planner/local_scheduler.hpp"

#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <thread>

#include "dfkd/errors.hpp"
#include "engine/environment.hpp"
#include "engine/signals.hpp"
#include "planner/forced_reruns.hpp"

namespace dfkd::host {
namespace {

int cores() {
  return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double final_value(const ResultsStore& store, const std::string& run_id, const std::string& key) {
  for (const auto& s : store.summaries(run_id))
    if (s.key == key) return s.final_value;
  return std::nan("");
}

std::string worker_death_message(const WorkerPool::Finished& f) {
  if (f.signal)
    return fmt::format("its worker process died of signal {} ({}) before recording an outcome",
                       f.signal, strsignal(f.signal));
  if (f.exit_code == 127) return "its worker process could not be started (exec failed)";
  return fmt::format(
      "its worker process exited with code {} before recording an outcome; its output is above",
      f.exit_code);
}

}  // namespace

int default_jobs() {
  return cores();
}

Parallelism parallelism_for(const RunMatrixOptions& opt) {
  Parallelism p;
  p.threads = opt.threads > 0 ? opt.threads : cores();
  if (!opt.time_iterations.empty() || opt.profile_step >= 0)
    p.jobs = 1;  // measured in this process
  else
    p.jobs = std::max(1, std::min(opt.jobs > 0 ? opt.jobs : default_jobs(), p.threads));
  p.worker_threads = std::max(1, p.threads / p.jobs);
  return p;
}

LocalScheduler::ProcessSetup LocalScheduler::set_up_process(const Parallelism& par,
                                                            const RunMatrixOptions& opt,
                                                            ResultsStore& store) {
  // With workers the parent only schedules; its own pool stays small.
  torch::set_num_threads(par.in_process() ? par.threads : 1);
  const auto device = resolve_device(opt.device);
  auto env_id = store.ensure_environment(probe_environment(device.str(), par.worker_threads));
  install_interrupt_handlers();
  return {device, env_id};
}

LocalScheduler::LocalScheduler(const Experiment& exp, const PluginHost& plugins,
                               ResultsStore& store, const RunMatrixOptions& opt, std::FILE* out)
    : exp_(exp),
      plugins_(plugins),
      store_(store),
      opt_(opt),
      par_(parallelism_for(opt)),
      setup_(set_up_process(par_, opt, store)),
      progress_(out, /*lines_only=*/!par_.in_process()),
      timings_(nullptr, &std::fclose),
      engine_(plugins, store, engine_options()),
      live_(live_display_possible(out) ? std::make_unique<LiveBlock>(out) : nullptr),
      pool_(par_.jobs, live_ ? worker_output_handler() : nullptr) {}

WorkerPool::OutputHandler LocalScheduler::worker_output_handler() {
  return [this](const std::string& run_id, const std::string& line) {
    if (const auto progress = parse_progress_line(line)) {
      live_->summary(matrix_summary(), /*redraw=*/false);
      live_->update(run_id, *progress);
    } else
      live_->print_above(line);
  };
}

void LocalScheduler::say(const std::string& text) {
  if (live_)
    live_->print_above(text);
  else
    progress_.line(text);
}

std::string LocalScheduler::matrix_summary() const {
  const int done = summary_.completed + summary_.cached + summary_.by_others;
  // In-process, the run training is still in the queue (it leaves it when it ends).
  const size_t here = reporter_ ? 1 : 0;
  return fmt::format("matrix: {}/{} done, {} running, {} waiting{}{}  ·  {} elapsed", done, total_,
                     active_.size() + here, queue_.size() - here,
                     summary_.failed > 0 ? fmt::format(", {} FAILED", summary_.failed) : "",
                     summary_.skipped > 0 ? fmt::format(", {} skipped", summary_.skipped) : "",
                     format_duration(seconds_since(started_)));
}

EngineOptions LocalScheduler::engine_options() {
  EngineOptions o{setup_.device, setup_.env_id, [this](const EpochReport& r) {
                    if (reporter_)
                      reporter_->epoch(r);
                    else
                      progress_.epoch(r, current_position_);
                  }};
  o.on_progress = [this](const IterationReport& r) {
    if (reporter_) reporter_->iteration(r);
  };
  if (!opt_.time_iterations.empty()) {
    timings_.reset(std::fopen(opt_.time_iterations.c_str(), "a"));
    if (!timings_)
      throw ConfigError(fmt::format("--time-iterations {}: cannot open the file for writing: {}",
                                    opt_.time_iterations, std::strerror(errno)));
    o.on_iteration = [this](const RunRecord& r, int64_t step, double seconds) {
      fmt::print(timings_.get(),
                 "{{\"run_key\": \"{}\", \"row\": \"{}\", \"step\": {}, \"seconds\": {:.6f}}}\n",
                 r.run_key, r.row, step, seconds);
      std::fflush(timings_.get());
    };
  }
  o.profile_step = opt_.profile_step;
  o.on_op_profile = [this](const RunRecord& r, const OpProfile& p) {
    say(fmt::format("dfkd: operators of {} at global step {} by self time:\n{}", run_label(r),
                    opt_.profile_step, render_op_profile(p, 25)));
  };
  return o;
}

void LocalScheduler::reset_forced_reruns(std::vector<RunRecord>& runs) {
  // Forced reruns start over; their artifacts stay (immutable files, rows kept) so that runs which
  // learned from them still find exactly those weights.
  const auto forced = plan_forced_reruns(runs, &store_, opt_.force, opt_.force_teacher);
  for (const auto& note : forced.notes) say("dfkd: " + note);
  for (auto& r : runs)
    if (forced.run_keys.count(r.run_key) && store_.reset_run(r.run_id)) {
      std::filesystem::remove(engine_.artifact_dir(r) / "checkpoint.pt");
      r.status = RunStatus::Planned;
    }
}

RunMatrixSummary LocalScheduler::train(const std::vector<RunRecord>& runs) {
  if (par_.in_process())
    say(fmt::format("dfkd: in this process, {} thread{}", par_.threads,
                    par_.threads == 1 ? "" : "s"));
  else
    say(fmt::format("dfkd: {} worker processes x {} thread{}", par_.jobs, par_.worker_threads,
                    par_.worker_threads == 1 ? "" : "s"));
  total_ = static_cast<int>(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    queue_.push_back({runs[i], static_cast<int>(i) + 1});
    queued_keys_.insert(runs[i].run_key);
  }
  started_ = Clock::now();
  while (!queue_.empty() || !pool_.empty()) {
    if (live_) live_->summary(matrix_summary());
    stop_on_interrupt();
    const bool launched = launch_ready_runs();
    if (stopping_ && pool_.empty()) break;
    // Wait for a worker (or, with nothing to launch, for runs other processes hold) before
    // rescanning.
    const size_t finished = reap_workers(launched ? 0.0 : 1.0);
    if (!launched && finished == 0 && pool_.empty() && !queue_.empty())
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (live_) live_->summary("");
  return summary_;
}

std::string LocalScheduler::position(const QueuedRun& q) const {
  return fmt::format("[{}/{}]", q.index, total_);
}

std::string LocalScheduler::line_prefix(const QueuedRun& q, const RunRecord& rec) const {
  return fmt::format("{} {}", position(q), run_label(rec));
}

void LocalScheduler::stop_on_interrupt() {
  if (!interrupt_requested() || stopping_) return;
  stopping_ = true;
  summary_.interrupted = true;
  if (!pool_.empty()) {
    say("dfkd: interrupted; the workers are saving their last epoch checkpoint");
    pool_.signal_all(SIGTERM);
  }
}

// One pass over the queue in plan order: drops what is completed or cannot run, starts what is
// ready while there is a free slot. Returns whether it started a run.
bool LocalScheduler::launch_ready_runs() {
  bool launched = false;
  for (auto it = queue_.begin(); !stopping_ && it != queue_.end() && pool_.has_free_slot();) {
    QueuedRun& q = *it;
    const auto current = store_.find_run_by_key(q.planned.run_key);
    RunRecord rec = current ? *current : q.planned;
    rec.row = q.planned.row;
    const std::string what = line_prefix(q, rec);
    if (rec.status == RunStatus::Completed) {
      count_already_completed(q, rec, what);
      queued_keys_.erase(rec.run_key);
      it = queue_.erase(it);
      continue;
    }
    const Readiness ready = teacher_readiness(rec);
    if (ready == Readiness::Blocked) {
      ++summary_.skipped;
      say(fmt::format("{}  skipped: {} did not complete", what,
                      rec.config.contains("init_from") ? "a run it reads (teacher or init_from)"
                                                       : "its teacher"));
      queued_keys_.erase(rec.run_key);
      it = queue_.erase(it);
      continue;
    }
    if (ready == Readiness::Waiting || !claim(q, rec, what)) {
      ++it;
      continue;
    }
    launched = true;
    if (par_.in_process()) {
      train_here(q, rec);
      queue_.erase(it);
      if (summary_.interrupted) stopping_ = true;
      break;  // rescan: what this run unblocked may sit earlier in the queue
    }
    start_worker(q, rec);
    it = queue_.erase(it);
  }
  return launched;
}

void LocalScheduler::count_already_completed(const QueuedRun& q, const RunRecord& rec,
                                             const std::string& what) {
  if (q.held_elsewhere) {
    ++summary_.by_others;
    say(fmt::format("{}  completed by another dfkd process", what));
  } else {
    ++summary_.cached;
    say(fmt::format("{}  cached ({:.2f}% {})", what,
                    final_value(store_, rec.run_id, exp_.metric.key), exp_.metric.key));
  }
}

// The teacher as this queue sees it: still to run while queued here (and not failed in this
// invocation) or training in another process.
Readiness LocalScheduler::teacher_readiness(const RunRecord& rec) const {
  return readiness(rec, [&](const std::string& teacher) {
    const auto parent = store_.find_run_by_key(teacher);
    TeacherStatus s;
    s.completed = parent && parent->status == RunStatus::Completed;
    s.to_run = parent && !failed_keys_.count(teacher) &&
               (parent->status == RunStatus::Running || queued_keys_.count(teacher));
    return s;
  });
}

bool LocalScheduler::claim(QueuedRun& q, const RunRecord& rec, const std::string& what) {
  if (!store_.claim_run(rec.run_id, setup_.env_id)) {
    if (!q.held_elsewhere)
      say(fmt::format("{}  held by another dfkd process; waiting for it", what));
    q.held_elsewhere = true;
    return false;
  }
  store_.record_plugins(rec.run_id, plugins_of(rec.config.get<RunConfig>(), plugins_));
  q.started = Clock::now();
  return true;
}

void LocalScheduler::train_here(const QueuedRun& q, const RunRecord& rec) {
  auto claimed = *store_.find_run(rec.run_id);
  claimed.row = rec.row;
  current_position_ = position(q);
  if (live_) {
    live_->started(rec.run_id, line_prefix(q, rec));
    reporter_ = std::make_unique<ProgressReporter>([this, id = rec.run_id](const RunProgress& p) {
      live_->summary(matrix_summary(), /*redraw=*/false);
      live_->update(id, p);
    });
  }
  engine_.execute(claimed);
  if (live_) live_->ended(rec.run_id);
  reporter_.reset();
  report(q, "");
}

void LocalScheduler::start_worker(const QueuedRun& q, const RunRecord& rec) {
  const auto db = std::filesystem::absolute(store_.path()).string();
  std::vector<std::string> args{"worker",
                                "--db",
                                db,
                                "--run",
                                rec.run_id,
                                "--threads",
                                std::to_string(par_.worker_threads),
                                "--device",
                                opt_.device,
                                "--position",
                                position(q)};
  if (live_) args.push_back("--live-progress");
  pool_.start(rec.run_id, args);
  active_.emplace(rec.run_id, q);
  if (live_) live_->started(rec.run_id, line_prefix(q, rec));
}

size_t LocalScheduler::reap_workers(double wait_seconds) {
  const auto finished = pool_.reap(wait_seconds);
  for (const auto& f : finished) {
    auto node = active_.extract(f.run_id);
    if (live_) live_->ended(f.run_id);
    report(node.mapped(), worker_death_message(f));
  }
  return finished.size();
}

// The worker died without recording an outcome (crash, OOM kill): say so, and free the run.
// After Ctrl-C it was our SIGTERM, before the worker could handle it (still starting): the run
// was interrupted, not broken, and resumes like any killed run.
void LocalScheduler::end_dead_worker_run(const QueuedRun& q, const RunRecord& rec,
                                         const std::string& worker_death) {
  if (interrupt_requested())
    store_.end_run(rec.run_id, RunStatus::Killed,
                   "interrupted (Ctrl-C) while its worker process was starting",
                   seconds_since(q.started));
  else
    store_.end_run(rec.run_id, RunStatus::Failed, worker_death, seconds_since(q.started));
}

// Reports a run this process trained (in-process or by its worker) from what the store says.
void LocalScheduler::report(const QueuedRun& q, const std::string& worker_death) {
  auto rec = store_.find_run(q.planned.run_id);
  const std::string what = line_prefix(q, q.planned);
  if (rec && rec->status == RunStatus::Running && !worker_death.empty()) {
    end_dead_worker_run(q, *rec, worker_death);
    rec = store_.find_run(q.planned.run_id);
  }
  queued_keys_.erase(q.planned.run_key);
  switch (rec ? rec->status : RunStatus::Failed) {
    case RunStatus::Completed:
      ++summary_.completed;
      say(fmt::format("{}  completed in {}: {} {:.2f}", what,
                      format_duration(seconds_since(q.started)), exp_.metric.key,
                      final_value(store_, rec->run_id, exp_.metric.key)));
      break;
    case RunStatus::Killed:
      summary_.interrupted = true;
      say(fmt::format("{}  killed: {}", what, rec->error));
      break;
    default:
      ++summary_.failed;
      failed_keys_.insert(q.planned.run_key);
      say(fmt::format("{}  FAILED: {}", what, rec ? rec->error : "its record disappeared"));
  }
}

}  // namespace dfkd::host
