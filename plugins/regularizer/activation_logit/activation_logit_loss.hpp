#pragma once
/// Logit-level activation regularizer R_l (Qu et al. 2021, eq. 2; DAFL's one-hot loss).
#include <torch/torch.h>

namespace dfkd::losses {

/// R_l = mean_b CE(l_b, argmax_k l_b) over teacher logits l [B, K]. The pseudo-label carries no
/// gradient, the logits do: minimising R_l makes the teacher confident on generated samples.
torch::Tensor activation_logit(const torch::Tensor& teacher_logits);

}  // namespace dfkd::losses
