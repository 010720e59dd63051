#pragma once
/// Representation-level activation regularizer R_m (Qu et al. 2021, eq. 3; DAFL's L_a).
#include <torch/torch.h>

namespace dfkd::losses {

/// Features [B, ...] are flattened per sample to f_b.
/// normalize = false: R_m = -(1/B) sum_b ||f_b||_1 (eq. 3 exactly).
/// normalize = true:  -mean |f| over B * dim (DAFL), i.e. eq. 3 divided by the feature dimension.
/// Minimising it makes the teacher's features large on generated samples.
torch::Tensor activation_feature(const torch::Tensor& teacher_features, bool normalize);

}  // namespace dfkd::losses
