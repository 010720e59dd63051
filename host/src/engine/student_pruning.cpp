#include "engine/student_pruning.hpp"

namespace dfkd::host {

bool StudentPruning::start(Model& student, const Pruner& pruner,
                           const std::vector<int64_t>& sample_shape) {
  auto& net = student.module();
  masks_ = pruner.masks(net);
  if (masks_.empty()) return false;
  apply_masks(net, masks_);
  weight_macs_ = macs_per_weight(student, sample_shape);
  const auto params = net.named_parameters();
  // The hooks read the masks by name at each backward: a resumed run's checkpoint replaces
  // masks_ after this, and they follow.
  for (const auto& [name, mask] : masks_)
    params[name].register_hook(
        [this, key = name](const torch::Tensor& grad) { return grad * masks_.at(key); });
  return true;
}

void StudentPruning::reapply(torch::nn::Module& student) const {
  if (active()) apply_masks(student, masks_);
}

void StudentPruning::add_metrics(torch::nn::Module& student,
                                 std::map<std::string, double>& metrics) const {
  if (!active()) return;
  metrics["effective_parameters"] = static_cast<double>(effective_parameters(student, masks_));
  metrics["effective_macs"] = static_cast<double>(effective_macs(student, weight_macs_));
}

}  // namespace dfkd::host
