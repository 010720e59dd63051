#pragma once
#include <cstdint>
#include <vector>

#include <dfkd/method.hpp>

#include "config/run_config.hpp"

namespace dfkd::host {

/// Multiplier of the base learning rate for 0-based `epoch` out of `epochs`, per a resolved
/// schedule: constant; step (gamma every step_size epochs); multistep (gamma at each milestone
/// epoch); cosine (to 0 over all epochs).
double lr_factor(const LrSchedule& schedule, int64_t epoch, int64_t epochs);

/// Sets every param group's lr to its base lr x `factor`, for the optimizers the method left
/// under the schedule (TrainContext::Schedule::Applies); exempt ones keep their lr.
void apply_lr_factor(std::vector<TrainContext::NamedOptimizer>& optimizers, double factor);

}  // namespace dfkd::host
