#pragma once
/// The image transforms of the reference pipelines (docs/methods.md §1 and its sources, DFAD's
/// dataloader), on whole splits held as float tensors [N, C, 32, 32], and the seeded CIFAR training
/// augmentation.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace dfkd_image {

/// Per-channel normalisation x' = (x - mean) / std of pixels scaled to [0, 1].
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;
  /// The normalised value of a pixel byte in `channel`: (byte / 255 - mean) / std.
  double of_byte(int64_t channel, int byte) const;
  /// float [C]: the normalised value of pixel 0 per channel, (0 - mean) / std.
  torch::Tensor zero_pixel() const;
};

/// uint8 [N, C, H, W] -> float [N, C, size, size]: / 255, bilinear resize to size x size when H or
/// W differ (torch interpolate, align_corners=false), then normalised. Done in chunks of images so
/// the peak memory is the output plus a chunk.
///
/// torchvision's Resize works on the PIL image and rounds the resized pixels back to bytes before
/// ToTensor; here the interpolation is done in float, so resized values differ from the reference
/// pipeline's by at most half a grey level (0.5/255 before normalisation).
torch::Tensor prepare_images(const torch::Tensor& pixels, int64_t size, const Normalization& norm);

/// Random crop with zero padding + random horizontal flip, per sample, as torchvision's
/// RandomCrop(H, padding=pad) then RandomHorizontalFlip(p=flip_p), applied to a batch that is
/// already normalised [B, C, H, W]: the padding holds `fill` [C] per channel, which must be the
/// normalised value of pixel 0 (Normalization::zero_pixel) to match pad-then-normalise. The crop
/// offsets (top, left in 0..2*pad) and flips are drawn from `rng`, in that order, one per sample.
/// Vectorised: one gather over the padded batch (no per-sample loop).
torch::Tensor random_crop_flip(const torch::Tensor& batch, int64_t pad, const torch::Tensor& fill,
                               double flip_p, torch::Generator& rng);

}  // namespace dfkd_image
