#include "dfad_loss.hpp"

namespace dfkd::losses {

torch::Tensor dfad_discrepancy(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_logits) {
  return torch::l1_loss(student_logits, teacher_logits, at::Reduction::Mean);
}

torch::Tensor dfad_generator_loss(const torch::Tensor& student_logits,
                                  const torch::Tensor& teacher_logits) {
  return -dfad_discrepancy(student_logits, teacher_logits);
}

}  // namespace dfkd::losses
