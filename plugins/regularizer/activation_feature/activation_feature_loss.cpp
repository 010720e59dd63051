#include "activation_feature_loss.hpp"

namespace dfkd::losses {

torch::Tensor activation_feature(const torch::Tensor& teacher_features, bool normalize) {
  auto f = teacher_features.reshape({teacher_features.size(0), -1}).abs();
  return normalize ? -f.mean() : -f.sum(1).mean();
}

}  // namespace dfkd::losses
