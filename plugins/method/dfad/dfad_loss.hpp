#pragma once
/// DFAD's losses (Fang et al. 2019): mean absolute error between student and teacher logits.
#include <torch/torch.h>

namespace dfkd::losses {

/// D(s, t) = mean over B*K of |s - t| (`l1_loss`, mean reduction). Minimised by the student.
torch::Tensor dfad_discrepancy(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_logits);

/// The generator's adversarial loss, -D(s, t): minimising it makes the generator maximise D.
torch::Tensor dfad_generator_loss(const torch::Tensor& student_logits,
                                  const torch::Tensor& teacher_logits);

}  // namespace dfkd::losses
