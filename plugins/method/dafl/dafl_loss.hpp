#pragma once
/// DAFL (Chen et al., ICCV 2019), the paper's DFL row. Its one-hot and activation terms are the
/// activation_logit and activation_feature regularizers (docs/methods.md sections 3 and 4: L_oh =
/// R_l, L_a = R_m / dim); the information-entropy term and the student's loss live here.
#include <torch/torch.h>

namespace dfkd::losses {

/// L_ie = sum_k pbar_k * log10(pbar_k), pbar = mean over the batch of softmax(teacher logits):
/// the negative entropy (base 10, as in the reference) of the mean prediction. Minimising it
/// balances the classes the generator produces. Gradients flow into the logits.
torch::Tensor dafl_information_entropy(const torch::Tensor& teacher_logits);

/// The student's loss: KL(softmax(t) || softmax(s)) summed over classes and divided by B, with
/// temperature 1 and a detached target (= kd_loss(s, t, 1)).
torch::Tensor dafl_student_loss(const torch::Tensor& student_logits,
                                const torch::Tensor& teacher_logits);

}  // namespace dfkd::losses
