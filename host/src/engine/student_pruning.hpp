#pragma once
/// A pruned run's masks, kept for the whole run: the pruned weights are zeroed once, their
/// gradients masked from then on (so no optimizer state moves them: SGD's momentum and weight
/// decay, Adam's moments), and zeroed again after every iteration, whatever a method did.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dfkd/sdk.hpp"

namespace dfkd::host {

class StudentPruning {
 public:
  StudentPruning() = default;
  StudentPruning(const StudentPruning&) = delete;  // the gradient hooks point at this object
  StudentPruning& operator=(const StudentPruning&) = delete;

  /// Asks `pruner` for masks on the student's current weights and applies them. Returns false
  /// when the pruner found nothing to prune (the run should fail: its config means nothing).
  bool start(Model& student, const Pruner& pruner, const std::vector<int64_t>& sample_shape);
  bool active() const { return !masks_.empty(); }
  /// The masks a checkpoint saves and restores (null when nothing is pruned).
  PruningMasks* masks() { return active() ? &masks_ : nullptr; }
  void reapply(torch::nn::Module& student) const;
  /// effective_parameters and effective_macs of the student as it is now.
  void add_metrics(torch::nn::Module& student, std::map<std::string, double>& metrics) const;

 private:
  PruningMasks masks_;
  std::map<std::string, int64_t> weight_macs_;  ///< MACs per element of each weight
};

}  // namespace dfkd::host
