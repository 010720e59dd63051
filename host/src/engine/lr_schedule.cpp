#include "engine/lr_schedule.hpp"

#include <cmath>
#include <stdexcept>

namespace dfkd::host {
namespace {

/// A field the schedule's type requires; resolve_train fills it, so its absence is a bug.
template <class T>
const T& required(const std::optional<T>& field, const char* name, const std::string& type) {
  if (!field) throw std::invalid_argument("lr_factor: a " + type + " schedule without " + name);
  return *field;
}

}  // namespace

double lr_factor(const LrSchedule& s, int64_t epoch, int64_t epochs) {
  if (s.type == "constant") return 1.0;
  if (s.type == "step")
    return std::pow(required(s.gamma, "gamma", s.type),
                    static_cast<double>(epoch / required(s.step_size, "step_size", s.type)));
  if (s.type == "multistep") {
    int passed = 0;
    for (const int64_t m : required(s.milestones, "milestones", s.type))
      if (epoch >= m) ++passed;
    return std::pow(required(s.gamma, "gamma", s.type), passed);
  }
  if (s.type == "cosine") return 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(epoch) / epochs));
  throw std::invalid_argument("lr_factor: unknown schedule type " + s.type);
}

void apply_lr_factor(std::vector<TrainContext::NamedOptimizer>& optimizers, double factor) {
  for (auto& o : optimizers) {
    if (o.schedule == TrainContext::Schedule::Exempt) continue;
    for (size_t g = 0; g < o.optimizer->param_groups().size(); ++g)
      o.optimizer->param_groups()[g].options().set_lr(o.base_lrs[g] * factor);
  }
}

}  // namespace dfkd::host
