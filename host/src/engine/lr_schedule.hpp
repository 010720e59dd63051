#pragma once
#include <cstdint>

#include "config/run_config.hpp"

namespace dfkd::host {

/// Multiplier of the base learning rate for 0-based `epoch` out of `epochs`, per a resolved
/// schedule: constant; step (gamma every step_size epochs); multistep (gamma at each milestone
/// epoch); cosine (to 0 over all epochs).
double lr_factor(const LrSchedule& schedule, int64_t epoch, int64_t epochs);

}  // namespace dfkd::host
