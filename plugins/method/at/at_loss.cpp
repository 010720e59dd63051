#include "at_loss.hpp"

namespace dfkd::losses {

namespace F = torch::nn::functional;

torch::Tensor attention_map(const torch::Tensor& feature, double p) {
  TORCH_CHECK(feature.dim() == 4, "attention_map: expected a [B, C, H, W] feature map, found ",
              feature.sizes());
  auto a = feature.abs().pow(p).mean(1).flatten(1);
  return F::normalize(a, F::NormalizeFuncOptions().p(2).dim(1));
}

torch::Tensor at_loss(const torch::Tensor& student_feature, const torch::Tensor& teacher_feature,
                      double p) {
  auto s = student_feature;
  auto t = teacher_feature.detach();
  TORCH_CHECK(s.dim() == 4 && t.dim() == 4, "at_loss: expected [B, C, H, W] feature maps, found ",
              s.sizes(), " and ", t.sizes());
  const int64_t hs = s.size(2) * s.size(3), ht = t.size(2) * t.size(3);
  if (hs > ht)
    s = F::adaptive_avg_pool2d(s, F::AdaptiveAvgPool2dFuncOptions({t.size(2), t.size(3)}));
  else if (ht > hs)
    t = F::adaptive_avg_pool2d(t, F::AdaptiveAvgPool2dFuncOptions({s.size(2), s.size(3)}));
  return (attention_map(s, p) - attention_map(t, p)).pow(2).mean();
}

}  // namespace dfkd::losses
