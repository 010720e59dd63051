#pragma once
#include <cstdint>

#include <nlohmann/json.hpp>

namespace dfkd::host {

/// Multiplier of the base learning rate for 0-based `epoch` out of `epochs`, per a resolved
/// "lr_schedule" block: constant; step (gamma every step_size epochs); multistep (gamma at each
/// milestone epoch); cosine (to 0 over all epochs).
double lr_factor(const nlohmann::json& schedule, int64_t epoch, int64_t epochs);

}  // namespace dfkd::host
