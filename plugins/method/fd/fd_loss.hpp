#pragma once
/// Feature distillation as Park et al. (2021, eq. 2) use it beside label KD: the L1 distance of
/// per-sample L2-normalised features, the student's through a 1x1 regressor.
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dfkd::losses {

/// mean over every element of | t_i / ||t_i||_2 - s_i / ||s_i||_2 |, each sample i's feature
/// flattened and normalised on its own (eps 1e-12 in the norm). The teacher's feature is a
/// target: detached. Shapes must match.
torch::Tensor fd_loss(const torch::Tensor& regressed_student, const torch::Tensor& teacher);

/// Park et al.'s rule for beta: the weight that makes beta * fd equal to the cross-entropy at
/// step 0, ce / fd (1 when fd is 0: nothing to balance).
double balanced_beta(double cross_entropy, double fd);

/// The regressor R for per-sample feature shapes `student` -> `teacher` (batch dimension left
/// out): [C,H,W] maps with equal H, W get a 1x1 convolution ("conv"), followed by BatchNorm and
/// ReLU with `kind` "conv_bn_relu"; [D] vectors get Linear(D_s, D_t). Throws
/// std::invalid_argument naming both shapes for any other pair.
torch::nn::Sequential make_fd_regressor(const std::vector<int64_t>& student,
                                        const std::vector<int64_t>& teacher,
                                        const std::string& kind);

}  // namespace dfkd::losses
