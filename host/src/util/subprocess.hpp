#pragma once
/// Running another program (sbatch, squeue, scontrol) and capturing what it printed.
#include <string>
#include <vector>

namespace dfkd::host {

struct CommandResult {
  int exit_code = -1;  ///< 127: the program could not be started (not on PATH)
  std::string output;  ///< stdout and stderr together, trailing newlines trimmed
};

/// Runs argv[0] (searched on PATH) with argv[1..] directly, no shell; waits for it.
CommandResult run_command(const std::vector<std::string>& argv);

/// True if `program` is an executable file on PATH.
bool on_path(const std::string& program);

/// `s` quoted for a POSIX shell (single quotes), for scripts users read and commands we print.
std::string shell_quote(const std::string& s);

}  // namespace dfkd::host
