#include "engine/signals.hpp"

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

bool interrupt_requested() { return g_signal != 0; }
int interrupt_signal() { return g_signal; }

}  // namespace dfkd::host
