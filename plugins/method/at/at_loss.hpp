#pragma once
/// Attention transfer (Zagoruyko & Komodakis 2017), in the code form of szagoruyko/attention-
/// transfer and RepDistiller, for which beta = 1000 is the convention.
#include <vector>

#include <torch/torch.h>

namespace dfkd::losses {

/// a(f) = normalize_L2 over H*W of (mean over channels of |f|^p), flattened: [B, C, H, W] ->
/// [B, H*W]. p = 2 in the references.
torch::Tensor attention_map(const torch::Tensor& feature, double p);

/// mean over B*H*W of (a(f_s) - a(f_t))^2. When the spatial sizes differ, the larger map is
/// adaptive-average-pooled to the smaller first; channel counts may differ (a(f) averages them
/// away). The teacher's map is a target: detached.
torch::Tensor at_loss(const torch::Tensor& student_feature, const torch::Tensor& teacher_feature,
                      double p);

}  // namespace dfkd::losses
