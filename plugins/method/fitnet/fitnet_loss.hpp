#pragma once
/// FitNets (Romero et al. 2015) in RepDistiller's single-stage form: a regressor maps the
/// student's guided layer onto the teacher's hint layer, trained jointly with the student.
#include <vector>

#include <torch/torch.h>

namespace dfkd::losses {

/// mean over every element of (regressed student feature - teacher hint)^2 (`mse_loss`, mean).
/// The hint is a target: detached.
torch::Tensor fitnet_hint_loss(const torch::Tensor& regressed_student,
                               const torch::Tensor& teacher_hint);

/// The regressor for per-sample feature shapes `student` -> `teacher` (batch dimension left out),
/// chosen as RepDistiller's ConvReg / Regress do:
///   [C,H,W] maps, same H:   conv (1 + H_s - H_t)^2 kernel (1x1 when equal) + BN + ReLU
///   [C,H,W] maps, H_s = 2H_t: conv 3x3 stride 2 + BN + ReLU
///   [C,H,W] maps, 2H_s = H_t: transposed conv 4x4 stride 2 + BN + ReLU
///   [D] vectors:            Linear(D_s, D_t) + ReLU
/// Throws std::invalid_argument naming both shapes for any other pair.
torch::nn::Sequential make_hint_regressor(const std::vector<int64_t>& student,
                                          const std::vector<int64_t>& teacher);

}  // namespace dfkd::losses
