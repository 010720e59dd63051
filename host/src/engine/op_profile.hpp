#pragma once
/// Where one iteration's time goes, by LibTorch operator (`dfkd run --profile-ops STEP`): the
/// autograd profiler's events aggregated by name, self time = own time minus nested operators.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dfkd::host {

struct OpTime {
  std::string name;
  double self_ms = 0, total_ms = 0;
  int64_t calls = 0;
};

struct OpProfile {
  double wall_ms = 0;       ///< of the profiled call, profiler overhead included
  std::vector<OpTime> ops;  ///< by self time, largest first
};

/// Runs `body` under the autograd profiler (CPU events, every thread) and aggregates its events.
OpProfile profile_ops(const std::function<void()>& body);

/// The `top` operators as an aligned text table with each one's share of the summed self time.
std::string render_op_profile(const OpProfile& profile, size_t top);

}  // namespace dfkd::host
