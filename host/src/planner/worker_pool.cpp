#include "planner/worker_pool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
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

WorkerPool::WorkerPool(int slots, OutputHandler on_output)
    : slots_(slots < 1 ? 1 : slots), on_output_(std::move(on_output)) {}

WorkerPool::~WorkerPool() {
  if (workers_.empty()) return;
  signal_all(SIGTERM);
  // Keep emptying the pipes while they stop: a worker blocked writing to a full pipe would
  // otherwise never reach its exit, and this wait would never end. What they say is dropped (this
  // runs only on an exception path, with the owner half destroyed).
  on_output_ = [](const std::string&, const std::string&) {};
  while (!workers_.empty()) {
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (waitpid(it->first, nullptr, WNOHANG) == it->first) {
        if (it->second.output >= 0) close(it->second.output);
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    read_output(50);
  }
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
  // Close-on-exec: no other worker inherits this pipe (it would hold its end open).
  int pipe_fds[2] = {-1, -1};
  if (on_output_ && pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error(
        fmt::format("starting a worker for run {}: pipe failed: {}", run_id, std::strerror(errno)));

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
  if (pid < 0) {
    if (pipe_fds[0] >= 0) close(pipe_fds[0]), close(pipe_fds[1]);
    throw std::runtime_error(
        fmt::format("starting a worker for run {}: fork failed: {}", run_id, std::strerror(errno)));
  }
  if (pid == 0) {
    if (pipe_fds[1] >= 0) dup2(pipe_fds[1], STDOUT_FILENO), dup2(pipe_fds[1], STDERR_FILENO);
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
  Worker worker{run_id};
  if (pipe_fds[0] >= 0) {
    close(pipe_fds[1]);
    fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
    worker.output = pipe_fds[0];
  }
  workers_.emplace(pid, std::move(worker));
}

bool WorkerPool::read_available(Worker& w) {
  char buf[4096];
  while (true) {
    const ssize_t n = read(w.output, buf, sizeof buf);
    if (n == 0) {
      w.at_eof = true;
      return false;
    }
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    w.partial.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = w.partial.find('\n')) != std::string::npos;) {
      on_output_(w.run_id, w.partial.substr(0, nl));
      w.partial.erase(0, nl + 1);
    }
  }
}

void WorkerPool::read_output(int timeout_ms) {
  std::vector<pollfd> fds;
  for (const auto& [pid, w] : workers_)
    if (w.output >= 0 && !w.at_eof) fds.push_back({w.output, POLLIN, 0});
  if (fds.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return;
  }
  if (poll(fds.data(), fds.size(), timeout_ms) <= 0) return;
  for (auto& [pid, w] : workers_)
    if (w.output >= 0 && !w.at_eof) read_available(w);
}

void WorkerPool::drain(Worker& w) {
  if (w.output < 0) return;
  // The worker has exited: whatever it wrote is in the pipe already. Still non-blocking: were a
  // child of the worker to hold the write end, a blocking read would wait for that child.
  read_available(w);
  if (!w.partial.empty()) on_output_(w.run_id, w.partial);
  close(w.output);
  w.output = -1;
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
        drain(it->second);
        Finished f;
        f.run_id = it->second.run_id;
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
    read_output(100);
  }
}

void WorkerPool::signal_all(int sig) {
  for (const auto& [pid, worker] : workers_) kill(pid, sig);
}

}  // namespace dfkd::host
