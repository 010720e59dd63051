#include "kd_loss.hpp"

namespace dfkd::losses {

torch::Tensor kd_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                      double temperature) {
  const auto log_ps = torch::log_softmax(student_logits / temperature, 1);
  const auto log_pt = torch::log_softmax(teacher_logits.detach() / temperature, 1);
  const auto kl = (log_pt.exp() * (log_pt - log_ps)).sum(1).mean();
  return temperature * temperature * kl;
}

}  // namespace dfkd::losses
