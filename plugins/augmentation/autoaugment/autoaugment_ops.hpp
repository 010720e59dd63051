#pragma once
/// AutoAugment's image operations (Cubuk et al. 2019) on batches of float pixels in [0, 1],
/// [N, C, H, W], each sample with its own magnitude. They follow torchvision 0.14's tensor
/// implementations (transforms/autoaugment.py `_apply_op` and functional_tensor), which the golden
/// tests were computed with; where torchvision only takes uint8 (posterize, equalize) the pixels
/// are rounded to bytes first, so the result is what the uint8 pipeline gives.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dfkd::autoaugment {

enum class Op {
  ShearX,
  ShearY,
  TranslateX,
  TranslateY,
  Rotate,
  Brightness,
  Color,
  Contrast,
  Sharpness,
  Posterize,
  Solarize,
  AutoContrast,
  Equalize,
  Invert
};

/// "shear_x", "shear_y", "translate_x", ... in the order of Op.
const std::vector<std::string>& op_names();
const std::string& name_of(Op op);
/// Throws std::invalid_argument listing the names.
Op op_named(const std::string& name);

/// Levels 0..kLevels-1, as AutoAugment's policies name magnitudes.
constexpr int kLevels = 10;

/// The unsigned magnitude of `op` at `level`, torchvision's 10 bins: shear 0..0.3, rotate 0..30°,
/// the enhance ops 0..0.9 (factor 1 ± m), posterize 8..4 bits, solarize threshold 1..0 (the byte
/// bins 255..0 over 255). Translations: 0..max_translate·side pixels (torchvision: 150/331·side,
/// which moves a digit out of its frame; the plugin caps it).
double magnitude(Op op, int level, int64_t side, double max_translate);
/// Whether the policy applies the magnitude with a random sign.
bool is_signed(Op op);

/// `op` applied to pixels [n, C, H, W] with magnitude m[i] for sample i (signed where the op is).
/// Geometric ops sample the nearest source pixel and fill what comes from outside with `fill`.
torch::Tensor apply_op(Op op, const torch::Tensor& pixels, const torch::Tensor& m, double fill);

/// Normalised inputs to pixels in [0, 1] and back, with a dataset's per-channel mean and std.
torch::Tensor to_pixels(const torch::Tensor& x, const std::vector<double>& mean,
                        const std::vector<double>& std);
torch::Tensor from_pixels(const torch::Tensor& pixels, const std::vector<double>& mean,
                          const std::vector<double>& std);

}  // namespace dfkd::autoaugment
