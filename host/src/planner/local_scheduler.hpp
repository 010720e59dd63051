#pragma once
/// How `dfkd run` trains a plan on this machine: runs in plan order, each started (in this
/// process, or in a `dfkd worker` process with --jobs N) once planner/dependencies.hpp says it is
/// ready, waiting for runs other dfkd processes hold, stopping cleanly on Ctrl-C.
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "planner/dependencies.hpp"
#include "planner/live_progress.hpp"
#include "planner/progress.hpp"
#include "planner/run_matrix.hpp"
#include "planner/worker_pool.hpp"

namespace dfkd::host {

/// How many runs at once (in-process when 1) and threads each: --jobs, --threads and the
/// benchmark options, bounded by the cores.
struct Parallelism {
  int threads = 1, jobs = 1, worker_threads = 1;
  bool in_process() const { return jobs == 1; }
};
Parallelism parallelism_for(const RunMatrixOptions& options);

class LocalScheduler {
 public:
  /// Sets up the device, the environment record, interrupt handling and the engine.
  LocalScheduler(const Experiment& exp, const PluginHost& plugins, ResultsStore& store,
                 const RunMatrixOptions& options, std::FILE* out);
  /// Resets the plan's forced reruns (--force, --force-teacher) to Planned and says what follows.
  void reset_forced_reruns(std::vector<RunRecord>& runs);
  /// Trains every run of `runs` not completed yet; the counts (planned and wall time are the
  /// caller's).
  RunMatrixSummary train(const std::vector<RunRecord>& runs);

 private:
  using Clock = std::chrono::steady_clock;
  /// One planned run waiting in the queue.
  struct QueuedRun {
    RunRecord planned;
    int index = 0;                ///< 1-based position in the plan
    bool held_elsewhere = false;  ///< another dfkd process held it when we tried to claim it
    Clock::time_point started;
  };

  EngineOptions engine_options();
  std::string position(const QueuedRun& q) const;
  /// "[3/16] DFAL / MNIST / seed 2": how every line about a run starts.
  std::string line_prefix(const QueuedRun& q, const RunRecord& rec) const;
  void stop_on_interrupt();
  bool launch_ready_runs();
  void count_already_completed(const QueuedRun& q, const RunRecord& rec, const std::string& what);
  Readiness teacher_readiness(const RunRecord& rec) const;
  bool claim(QueuedRun& q, const RunRecord& rec, const std::string& what);
  void train_here(const QueuedRun& q, const RunRecord& rec);
  void start_worker(const QueuedRun& q, const RunRecord& rec);
  size_t reap_workers(double wait_seconds);
  void end_dead_worker_run(const QueuedRun& q, const RunRecord& rec,
                           const std::string& worker_death);
  void report(const QueuedRun& q, const std::string& worker_death);
  /// A message line: above the live block on a terminal, else a plain line.
  void say(const std::string& text);
  /// The live block's last line: how far the whole matrix is.
  std::string matrix_summary() const;
  WorkerPool::OutputHandler worker_output_handler();

  const Experiment& exp_;
  const PluginHost& plugins_;
  ResultsStore& store_;
  const RunMatrixOptions& opt_;
  const Parallelism par_;
  /// The device and this machine's environment record, set up before anything trains.
  struct ProcessSetup {
    torch::Device device;
    std::string env_id;
  };
  static ProcessSetup set_up_process(const Parallelism& par, const RunMatrixOptions& opt,
                                     ResultsStore& store);
  const ProcessSetup setup_;
  Progress progress_;
  std::string current_position_;  ///< of the run training in this process, for its epoch lines
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> timings_;
  Engine engine_;

  int total_ = 0;
  std::deque<QueuedRun> queue_;
  std::set<std::string> queued_keys_;
  std::map<std::string, QueuedRun> active_;  ///< run_id -> run being trained by a worker
  std::set<std::string> failed_keys_;  ///< failed in this invocation: their students are skipped
  /// On a terminal: the running runs' live lines (nullptr: plain lines).
  std::unique_ptr<LiveBlock> live_;
  std::unique_ptr<ProgressReporter> reporter_;  ///< of the run training in this process
  Clock::time_point started_ = Clock::now();
  WorkerPool pool_;
  bool stopping_ = false;
  RunMatrixSummary summary_;
};

}  // namespace dfkd::host
