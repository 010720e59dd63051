#include "dafl_loss.hpp"

#include <cmath>

#include "kd_loss.hpp"

namespace dfkd::losses {

torch::Tensor dafl_information_entropy(const torch::Tensor& teacher_logits) {
  const auto mean_p = torch::softmax(teacher_logits, 1).mean(0);
  return (mean_p * torch::log(mean_p)).sum() / std::log(10.0);
}

torch::Tensor dafl_student_loss(const torch::Tensor& student_logits,
                                const torch::Tensor& teacher_logits) {
  return kd_loss(student_logits, teacher_logits, 1.0);
}

}  // namespace dfkd::losses
