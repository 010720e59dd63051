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

double prediction_entropy(const torch::Tensor& logits) {
  torch::NoGradGuard no_grad;
  const int64_t classes = logits.size(1);
  auto counts = torch::bincount(logits.argmax(1).cpu(), {}, classes).to(torch::kFloat64);
  auto p = counts / counts.sum();
  // xlogy gives 0 * log 0 = 0 for empty classes.
  return -torch::xlogy(p, p).sum().item<double>();
}

}  // namespace dfkd::losses
