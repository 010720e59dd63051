#include "engine/signals.hpp"

#include <chrono>
#include <csignal>

namespace dfkd::host {
namespace {
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  g_signal = sig;
  // The next signal gets the default action: a user pressing Ctrl-C twice wants out now.
  std::signal(sig, SIG_DFL);
}
}  // namespace

void install_interrupt_handlers(bool slurm_warning_signal) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (slurm_warning_signal) std::signal(SIGUSR1, on_signal);
}

bool interrupt_requested() {
  return g_signal != 0;
}
int interrupt_signal() {
  return g_signal;
}

}  // namespace dfkd::host

namespace dfkd::host {

InterruptWatchdog::InterruptWatchdog(double grace_seconds, std::function<void()> overdue)
    : thread_([this, grace_seconds, overdue = std::move(overdue)] {
        using namespace std::chrono;
        const auto tick = milliseconds(50);
        while (!stop_ && !interrupt_requested()) std::this_thread::sleep_for(tick);
        const auto deadline = steady_clock::now() + duration<double>(grace_seconds);
        while (!stop_ && steady_clock::now() < deadline) std::this_thread::sleep_for(tick);
        if (!stop_) overdue();
      }) {}

InterruptWatchdog::~InterruptWatchdog() {
  stop_ = true;
  thread_.join();
}

}  // namespace dfkd::host
