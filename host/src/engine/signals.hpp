#pragma once
#include <atomic>
#include <functional>
#include <thread>

namespace dfkd::host {

/// SIGINT/SIGTERM set a flag the engine polls between iterations, so the current run is marked
/// killed with its last checkpoint kept. A second signal terminates at once. A Slurm task also
/// handles SIGUSR1, the warning `sbatch --signal=B:USR1@N` sends before its time limit.
void install_interrupt_handlers(bool slurm_warning_signal = false);
bool interrupt_requested();
int interrupt_signal();  ///< the signal received, 0 if none

/// One iteration can take many seconds (a DFAD step at batch 256), and a worker whose parent died
/// must not train on that long. While alive, this watches for an interrupt from its own thread:
/// if the process has not finished `grace_seconds` after one was requested, it calls `overdue`
/// there (which records the run and ends the process; the last epoch checkpoint is on disk).
class InterruptWatchdog {
 public:
  InterruptWatchdog(double grace_seconds, std::function<void()> overdue);
  ~InterruptWatchdog();
  InterruptWatchdog(const InterruptWatchdog&) = delete;
  InterruptWatchdog& operator=(const InterruptWatchdog&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dfkd::host
