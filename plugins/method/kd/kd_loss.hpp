#pragma once
/// Hinton et al. 2015, "Distilling the knowledge in a neural network" (RepDistiller's DistillKL).
#include <torch/torch.h>

namespace dfkd::losses {

/// T^2 * (1/B) * sum_b KL(p_t,b || p_s,b) with p = softmax(logits / T): the KL divergence of the
/// student's softened distribution from the teacher's, summed over classes and averaged over the
/// batch; the T^2 factor keeps gradient magnitudes comparable across temperatures. The teacher
/// logits are detached (a target, never trained through).
torch::Tensor kd_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                      double temperature);

}  // namespace dfkd::losses
