#pragma once
/// Worker processes for `dfkd run --jobs N`: each executes one run (`dfkd worker --run ID`) with
/// its share of the cores. Processes rather than threads because LibTorch's intra-op pool is
/// per process: N processes x 1 thread keep N small networks busy without sharing a pool.
#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dfkd::host {

class WorkerPool {
 public:
  struct Finished {
    std::string run_id;
    int exit_code = 0;  ///< valid when signal == 0
    int signal = 0;     ///< the signal that killed the worker, 0 if it exited
  };

  /// A line a worker wrote (stdout or stderr, without the newline).
  using OutputHandler = std::function<void(const std::string& run_id, const std::string& line)>;

  /// Without `on_output`, workers write to this process's stdout and stderr; with it, to a pipe
  /// this process reads while it waits in reap(), passing on each line.
  explicit WorkerPool(int slots, OutputHandler on_output = nullptr);
  ~WorkerPool();  ///< terminates and reaps workers still running (only on an exception path)
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool has_free_slot() const { return static_cast<int>(workers_.size()) < slots_; }
  bool empty() const { return workers_.empty(); }
  /// Starts this executable with `args` (argv[1..]) for `run_id`. The worker gets its own process
  /// group (a terminal's Ctrl-C reaches only the parent, which forwards one SIGTERM) and SIGTERM
  /// when the parent dies, so a `kill -9`ed `dfkd run` leaves no orphan training on.
  void start(const std::string& run_id, const std::vector<std::string>& args);
  /// Reaps workers that have exited, waiting up to `timeout_seconds` for the first one.
  std::vector<Finished> reap(double timeout_seconds);
  /// Sends `sig` to every running worker.
  void signal_all(int sig);

 private:
  struct Worker {
    std::string run_id;
    int output = -1;      ///< read end of its output pipe (-1: not captured)
    std::string partial;  ///< output after its last newline
    bool at_eof = false;  ///< its write end is closed (the worker is exiting)
  };
  /// Passes on the complete lines of each worker's output that are ready, waiting up to
  /// `timeout_ms` for some; without captured output it just sleeps.
  void read_output(int timeout_ms);
  /// Reads what is left of an exited worker's output (the partial line too) and closes the pipe.
  void drain(Worker& worker);
  bool read_available(Worker& worker);  ///< false at end of file (and sets at_eof)

  int slots_;
  OutputHandler on_output_;
  std::map<pid_t, Worker> workers_;
};

}  // namespace dfkd::host
