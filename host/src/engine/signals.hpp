#pragma once
namespace dfkd::host {

/// SIGINT/SIGTERM set a flag the engine polls between iterations, so the current run is marked
/// killed with its last checkpoint kept. A second signal terminates at once. A Slurm task also
/// handles SIGUSR1, the warning `sbatch --signal=B:USR1@N` sends before its time limit.
void install_interrupt_handlers(bool slurm_warning_signal = false);
bool interrupt_requested();
int interrupt_signal();  ///< the signal received, 0 if none

}  // namespace dfkd::host
