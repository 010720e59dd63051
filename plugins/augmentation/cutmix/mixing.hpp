#pragma once
/// The maths of the pairwise label-mixing augmentations (CutMix, Mixup) as free functions, so the
/// golden tests can call them on fixed tensors and fixed draws.
#include <cstdint>

#include <torch/torch.h>

namespace dfkd::mixing {

/// A half-open pixel box [y0, y1) x [x0, x1).
struct Box {
  int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  int64_t area() const { return (y1 - y0) * (x1 - x0); }
};

/// CutMix's box (Yun et al. 2019, eq. 5; clovaai/CutMix-PyTorch rand_bbox): sides
/// floor(H·√(1−λ)) and floor(W·√(1−λ)) centred at (cy, cx), clipped to the image.
Box cutmix_box(int64_t height, int64_t width, double lambda, int64_t cy, int64_t cx);

/// The weight of a sample's own label once `box` is pasted from its partner: 1 − area / (H·W),
/// recomputed from the clipped box as the reference code does.
double own_weight(const Box& box, int64_t height, int64_t width);

/// x [N, C, H, W] with each sample's `box` replaced by the same box of sample perm[i].
torch::Tensor paste_box(const torch::Tensor& x, const torch::Tensor& perm, const Box& box);

/// Mixup (Zhang et al. 2018): λ·x + (1 − λ)·x[perm].
torch::Tensor blend(const torch::Tensor& x, const torch::Tensor& perm, double lambda);

/// One draw of Beta(alpha, alpha) from `rng` (as the ratio of two Gamma(alpha) draws).
double sample_beta(double alpha, torch::Generator& rng);

}  // namespace dfkd::mixing
