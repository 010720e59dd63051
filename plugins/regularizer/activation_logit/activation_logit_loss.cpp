#include "activation_logit_loss.hpp"

namespace dfkd::losses {

torch::Tensor activation_logit(const torch::Tensor& teacher_logits) {
  auto pseudo_labels = teacher_logits.detach().argmax(1);
  return torch::nn::functional::cross_entropy(teacher_logits, pseudo_labels);
}

}  // namespace dfkd::losses
