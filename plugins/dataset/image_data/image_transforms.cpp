#include "image_transforms.hpp"

#include <stdexcept>

namespace dfkd_image {

double Normalization::of_byte(int64_t channel, int byte) const {
  return (byte / 255.0 - mean.at(channel)) / std.at(channel);
}

torch::Tensor Normalization::zero_pixel() const {
  auto out = torch::empty({static_cast<int64_t>(mean.size())}, torch::kFloat);
  for (size_t c = 0; c < mean.size(); ++c) out[c] = of_byte(static_cast<int64_t>(c), 0);
  return out;
}

torch::Tensor prepare_images(const torch::Tensor& pixels, int64_t size, const Normalization& norm) {
  TORCH_CHECK(pixels.dim() == 4 && pixels.scalar_type() == torch::kUInt8,
              "prepare_images: expected uint8 [N, C, H, W], found ", pixels.scalar_type(), " ",
              pixels.sizes());
  const int64_t n = pixels.size(0), c = pixels.size(1);
  TORCH_CHECK(
      static_cast<int64_t>(norm.mean.size()) == c && static_cast<int64_t>(norm.std.size()) == c,
      "prepare_images: normalisation has ", norm.mean.size(), " channels, images have ", c);
  const bool resize = pixels.size(2) != size || pixels.size(3) != size;
  const auto mean = torch::tensor(norm.mean, torch::kDouble).to(torch::kFloat).view({1, c, 1, 1});
  const auto std = torch::tensor(norm.std, torch::kDouble).to(torch::kFloat).view({1, c, 1, 1});

  auto out = torch::empty({n, c, size, size}, torch::kFloat);
  constexpr int64_t kChunk = 4096;
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = std::min(kChunk, n - i);
    auto x = pixels.narrow(0, i, m).to(torch::kFloat).div_(255.0);
    if (resize)
      x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                    .size(std::vector<int64_t>{size, size})
                                                    .mode(torch::kBilinear)
                                                    .align_corners(false));
    out.narrow(0, i, m).copy_(x.sub_(mean).div_(std));
  }
  return out;
}

torch::Tensor random_crop_flip(const torch::Tensor& batch, int64_t pad, const torch::Tensor& fill,
                               double flip_p, torch::Generator& rng) {
  TORCH_CHECK(batch.dim() == 4, "random_crop_flip: expected [B, C, H, W], found ", batch.sizes());
  const int64_t b = batch.size(0), c = batch.size(1), h = batch.size(2), w = batch.size(3);
  TORCH_CHECK(fill.numel() == c, "random_crop_flip: fill has ", fill.numel(), " values for ", c,
              " channels");
  if (b == 0) return batch;
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(batch.device());
  auto top = torch::randint(0, 2 * pad + 1, {b}, rng, torch::kLong).to(batch.device());
  auto left = torch::randint(0, 2 * pad + 1, {b}, rng, torch::kLong).to(batch.device());
  auto flip = (torch::rand({b}, rng) < flip_p).to(batch.device());

  // The padded batch, filled per channel.
  const int64_t hp = h + 2 * pad, wp = w + 2 * pad;
  auto padded = fill.to(batch.options()).view({1, c, 1, 1}).expand({b, c, hp, wp}).contiguous();
  padded.narrow(2, pad, h).narrow(3, pad, w).copy_(batch);

  // Output pixel (i, j) of sample k comes from padded (top_k + i, left_k + j), or, when flipped,
  // from (top_k + i, left_k + w - 1 - j): the crop is mirrored after it is taken. One gather
  // over the flattened padded planes picks them all.
  const auto i = torch::arange(h, long_opts).view({1, h, 1});
  const auto j = torch::arange(w, long_opts).view({1, 1, w});
  const auto rows = top.view({b, 1, 1}) + i;  // [B,H,1]
  const auto cols =
      left.view({b, 1, 1}) + torch::where(flip.view({b, 1, 1}), (w - 1) - j, j);  // [B,1,W]
  const auto source = (rows * wp + cols).view({b, 1, h * w}).expand({b, c, h * w});
  return padded.view({b, c, hp * wp}).gather(2, source).view({b, c, h, w});
}

}  // namespace dfkd_image
