#include "planner/worker_pool.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace dfkd::host {

WorkerPool::WorkerPool(int slots) : slots_(slots < 1 ? 1 : slots) {}

WorkerPool::~WorkerPool() {
  if (workers_.empty()) return;
  signal_all(SIGTERM);
  for (const auto& [pid, run] : workers_) waitpid(pid, nullptr, 0);
}

void WorkerPool::start(const std::string& run_id, const std::vector<std::string>& args) {
  // Everything the child needs is built before fork(): between fork and exec only
  // async-signal-safe calls are allowed, and LibTorch's thread pools make that matter.
  std::vector<std::string> storage{"dfkd"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  // Our handlers only set a flag in this process's memory, which exec replaces: a SIGTERM caught
  // by the child between fork and exec would be lost, and the worker would train on. So the child
  // starts with the default actions, and signals sent meanwhile wait (blocked) until then.
  sigset_t interrupts, previous;
  sigemptyset(&interrupts);
  sigaddset(&interrupts, SIGINT);
  sigaddset(&interrupts, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &interrupts, &previous);
  const pid_t pid = fork();
  if (pid != 0) pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0)
    throw std::runtime_error(
        fmt::format("starting a worker for run {}: fork failed: {}", run_id, std::strerror(errno)));
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(125);  // the parent died before prctl took effect
    // /proc/self/exe, not the path: a rebuild that replaced the file since this dfkd started
    // must not change (or break) the binary its workers run.
    execv("/proc/self/exe", argv.data());
    const char msg[] = "dfkd: cannot start a worker: exec of /proc/self/exe failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  workers_.emplace(pid, run_id);
}

std::vector<WorkerPool::Finished> WorkerPool::reap(double timeout_seconds) {
  std::vector<Finished> done;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (true) {
    for (auto it = workers_.begin(); it != workers_.end();) {
      int status = 0;
      const pid_t r = waitpid(it->first, &status, WNOHANG);
      if (r == it->first) {
        Finished f;
        f.run_id = it->second;
        if (WIFSIGNALED(status))
          f.signal = WTERMSIG(status);
        else
          f.exit_code = WEXITSTATUS(status);
        done.push_back(f);
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    if (!done.empty() || workers_.empty() || std::chrono::steady_clock::now() >= deadline)
      return done;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void WorkerPool::signal_all(int sig) {
  for (const auto& [pid, run] : workers_) kill(pid, sig);
}

}  // namespace dfkd::host
