#include "engine/lr_schedule.hpp"

#include <cmath>
#include <stdexcept>

namespace dfkd::host {

double lr_factor(const nlohmann::json& s, int64_t epoch, int64_t epochs) {
  const auto type = s.at("type").get<std::string>();
  if (type == "constant") return 1.0;
  if (type == "step")
    return std::pow(s.at("gamma").get<double>(),
                    static_cast<double>(epoch / s.at("step_size").get<int64_t>()));
  if (type == "multistep") {
    int passed = 0;
    for (const auto& m : s.at("milestones"))
      if (epoch >= m.get<int64_t>()) ++passed;
    return std::pow(s.at("gamma").get<double>(), passed);
  }
  if (type == "cosine") return 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(epoch) / epochs));
  throw std::invalid_argument("lr_factor: unknown schedule type " + type);
}

}  // namespace dfkd::host
