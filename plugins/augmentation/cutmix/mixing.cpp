#include "mixing.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dfkd::mixing {

Box cutmix_box(int64_t height, int64_t width, double lambda, int64_t cy, int64_t cx) {
  const double cut = std::sqrt(1.0 - lambda);
  const auto cut_h = static_cast<int64_t>(static_cast<double>(height) * cut);
  const auto cut_w = static_cast<int64_t>(static_cast<double>(width) * cut);
  auto clip = [](int64_t v, int64_t hi) { return std::clamp<int64_t>(v, 0, hi); };
  return {clip(cy - cut_h / 2, height), clip(cy + cut_h / 2, height), clip(cx - cut_w / 2, width),
          clip(cx + cut_w / 2, width)};
}

double own_weight(const Box& box, int64_t height, int64_t width) {
  return 1.0 - static_cast<double>(box.area()) / static_cast<double>(height * width);
}

torch::Tensor paste_box(const torch::Tensor& x, const torch::Tensor& perm, const Box& box) {
  if (x.dim() != 4)
    throw std::invalid_argument("cutmix: expected image batches [N, C, H, W], found " +
                                std::to_string(x.dim()) + " dimensions");
  auto out = x.clone();
  if (box.area() == 0) return out;
  // narrow() views rather than TensorIndex slices: copying a TensorIndex reads an uninitialised
  // bool inside LibTorch 1.13's header, which UBSan stops on.
  auto region = [&](const torch::Tensor& t) {
    return t.narrow(2, box.y0, box.y1 - box.y0).narrow(3, box.x0, box.x1 - box.x0);
  };
  region(out).copy_(region(x.index_select(0, perm)));
  return out;
}

torch::Tensor blend(const torch::Tensor& x, const torch::Tensor& perm, double lambda) {
  return x * lambda + x.index_select(0, perm) * (1.0 - lambda);
}

double sample_beta(double alpha, torch::Generator& rng) {
  const auto g = at::_standard_gamma(torch::full({2}, alpha, torch::kFloat64), rng);
  return (g[0] / (g[0] + g[1])).item<double>();
}

}  // namespace dfkd::mixing
