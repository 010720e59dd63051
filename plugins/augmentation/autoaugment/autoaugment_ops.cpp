#include "autoaugment_ops.hpp"

#include <cmath>
#include <stdexcept>

namespace dfkd::autoaugment {
namespace {

namespace F = torch::nn::functional;

/// [n] magnitudes as a float column broadcastable over [n, C, H, W].
torch::Tensor per_sample(const torch::Tensor& m, const torch::Tensor& like) {
  return m.to(like.scalar_type()).reshape({-1, 1, 1, 1});
}

/// ratio·a + (1 − ratio)·b, clamped to [0, 1] (torchvision's _blend for float images).
torch::Tensor blend(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& ratio) {
  return (ratio * a + (1 - ratio) * b).clamp(0, 1);
}

/// Nearest-neighbour warp: output pixel (i, j) takes input pixel round(M · (x, y, 1)), where (x, y)
/// is the output pixel's centre relative to the image centre and M [n, 2, 3] maps it into the
/// same frame of the input (torchvision's inverse affine matrix, sampled as grid_sample does with
/// align_corners=False: index = coordinate + size/2 − 1/2, rounded half to even). Sources outside
/// the image give `fill`.
torch::Tensor warp(const torch::Tensor& p, const torch::Tensor& inverse, double fill) {
  const int64_t n = p.size(0), c = p.size(1), h = p.size(2), w = p.size(3);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto xs = torch::arange(w, opts) + 0.5 - w / 2.0;  // [W]
  const auto ys = torch::arange(h, opts) + 0.5 - h / 2.0;  // [H]
  const auto gy = ys.view({1, h, 1}).expand({1, h, w});
  const auto gx = xs.view({1, 1, w}).expand({1, h, w});
  const auto m = inverse.to(torch::kFloat64);
  auto col = [&](int r, int k) { return m.select(1, r).select(1, k).view({n, 1, 1}); };
  const auto sx = col(0, 0) * gx + col(0, 1) * gy + col(0, 2);
  const auto sy = col(1, 0) * gx + col(1, 1) * gy + col(1, 2);
  const auto ix = torch::round(sx + w / 2.0 - 0.5).to(torch::kLong);  // [n, H, W]
  const auto iy = torch::round(sy + h / 2.0 - 0.5).to(torch::kLong);
  const auto inside = ix.ge(0) & ix.lt(w) & iy.ge(0) & iy.lt(h);
  const auto flat = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).view({n, 1, h * w});
  auto out = p.reshape({n, c, h * w}).gather(2, flat.expand({n, c, h * w})).view({n, c, h, w});
  return torch::where(inside.unsqueeze(1), out, torch::full({}, fill, p.options()));
}

/// [n, 2, 3] inverse matrices from per-sample rows (a, b, tx, c, d, ty).
torch::Tensor matrices(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& tx,
                       const torch::Tensor& c, const torch::Tensor& d, const torch::Tensor& ty) {
  return torch::stack({a, b, tx, c, d, ty}, 1).view({-1, 2, 3});
}

torch::Tensor grayscale(const torch::Tensor& p) {
  if (p.size(1) == 1) return p;
  return (0.2989 * p.select(1, 0) + 0.587 * p.select(1, 1) + 0.114 * p.select(1, 2)).unsqueeze(1);
}

torch::Tensor to_bytes(const torch::Tensor& p) {
  return torch::round(p.clamp(0, 1) * 255).to(torch::kLong);
}

/// torchvision's uint8 equalize per (sample, channel): the cumulative histogram as a lookup table
/// with step = ⌊(pixels − count of the brightest level) / 255⌋; unchanged when step is 0.
torch::Tensor equalize(const torch::Tensor& p) {
  const int64_t n = p.size(0), c = p.size(1), hw = p.size(2) * p.size(3);
  const auto q = to_bytes(p).view({n * c, hw});
  const auto hist =
      torch::zeros({n * c, 256}, torch::kLong).scatter_add_(1, q, torch::ones_like(q));
  const auto brightest = std::get<0>(q.max(1, true));                    // [nc, 1]
  const auto step = (hw - hist.gather(1, brightest)).div(255, "floor");  // [nc, 1]
  const auto safe = step.clamp_min(1);
  auto lut = (hist.cumsum(1) + step.div(2, "floor")).div(safe, "floor");
  lut = F::pad(lut, F::PadFuncOptions({1, 0})).narrow(1, 0, 256).clamp(0, 255);
  const auto mapped = torch::where(step.eq(0), q, lut.gather(1, q));
  return (mapped.to(p.scalar_type()) / 255).view(p.sizes());
}

}  // namespace

const std::vector<std::string>& op_names() {
  static const std::vector<std::string> names{
      "shear_x",    "shear_y",      "translate_x", "translate_y", "rotate",
      "brightness", "color",        "contrast",    "sharpness",   "posterize",
      "solarize",   "autocontrast", "equalize",    "invert"};
  return names;
}

const std::string& name_of(Op op) {
  return op_names().at(static_cast<size_t>(op));
}

Op op_named(const std::string& name) {
  const auto& names = op_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<Op>(i);
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw std::invalid_argument("autoaugment: no operation '" + name + "'; operations: " + all);
}

double magnitude(Op op, int level, int64_t side, double max_translate) {
  const double t = static_cast<double>(level) / (kLevels - 1);  // linspace position
  switch (op) {
    case Op::ShearX:
    case Op::ShearY:
      return 0.3 * t;
    case Op::TranslateX:
    case Op::TranslateY:
      return max_translate * static_cast<double>(side) * t;
    case Op::Rotate:
      return 30.0 * t;
    case Op::Brightness:
    case Op::Color:
    case Op::Contrast:
    case Op::Sharpness:
      return 0.9 * t;
    case Op::Posterize:
      return 8.0 - std::nearbyint(static_cast<double>(level) / ((kLevels - 1) / 4.0));
    case Op::Solarize:
      return 1.0 - t;
    case Op::AutoContrast:
    case Op::Equalize:
    case Op::Invert:
      return 0.0;
  }
  return 0.0;
}

bool is_signed(Op op) {
  switch (op) {
    case Op::ShearX:
    case Op::ShearY:
    case Op::TranslateX:
    case Op::TranslateY:
    case Op::Rotate:
    case Op::Brightness:
    case Op::Color:
    case Op::Contrast:
    case Op::Sharpness:
      return true;
    default:
      return false;
  }
}

torch::Tensor apply_op(Op op, const torch::Tensor& p, const torch::Tensor& m, double fill) {
  if (p.dim() != 4) throw std::invalid_argument("autoaugment: expected pixels [N, C, H, W]");
  const int64_t h = p.size(2);
  const auto md = m.to(torch::kFloat64);
  const auto zero = torch::zeros_like(md), one = torch::ones_like(md);
  switch (op) {
    case Op::ShearX:  // torchvision: affine(shear=(atan m)°, center=top-left): x_in = x + m·y
      return warp(p, matrices(one, md, md * (h / 2.0), zero, one, zero), fill);
    case Op::ShearY:
      return warp(p, matrices(one, zero, zero, md, one, md * (p.size(3) / 2.0)), fill);
    case Op::TranslateX:  // translate=[int(m), 0]: x_in = x − int(m)
      return warp(p, matrices(one, zero, -md.trunc(), zero, one, zero), fill);
    case Op::TranslateY:
      return warp(p, matrices(one, zero, zero, zero, one, -md.trunc()), fill);
    case Op::Rotate: {  // counter-clockwise by m degrees about the image centre
      const auto r = md * (M_PI / 180.0);
      return warp(p, matrices(r.cos(), -r.sin(), zero, r.sin(), r.cos(), zero), fill);
    }
    case Op::Brightness:
      return blend(p, torch::zeros_like(p), per_sample(m, p) + 1);
    case Op::Color:
      if (p.size(1) == 1) return p;  // torchvision: saturation of one channel is a no-op
      return blend(p, grayscale(p).expand_as(p), per_sample(m, p) + 1);
    case Op::Contrast:
      return blend(p, grayscale(p).mean({1, 2, 3}, true).expand_as(p), per_sample(m, p) + 1);
    case Op::Sharpness: {
      if (p.size(2) <= 2 || p.size(3) <= 2) return p;
      const int64_t c = p.size(1);
      auto kernel = torch::ones({3, 3}, p.options());
      kernel[1][1] = 5.0;
      kernel = (kernel / 13.0).expand({c, 1, 3, 3});
      const auto smooth = F::conv2d(p, kernel, F::Conv2dFuncOptions().groups(c));
      auto degenerate = p.clone();  // borders keep their pixels; narrow(), not TensorIndex (UBSan)
      degenerate.narrow(2, 1, p.size(2) - 2).narrow(3, 1, p.size(3) - 2).copy_(smooth);
      return blend(p, degenerate, per_sample(m, p) + 1);
    }
    case Op::Posterize: {  // keep the top `bits` bits of each byte
      const auto drop = (8 - md.round()).to(torch::kLong).reshape({-1, 1, 1, 1});
      const auto unit = torch::pow(2, drop);
      return (to_bytes(p).div(unit, "floor") * unit).to(p.scalar_type()) / 255;
    }
    case Op::Solarize:
      return torch::where(p >= per_sample(m, p), 1 - p, p);
    case Op::AutoContrast: {
      const auto lo = p.amin({2, 3}, true), hi = p.amax({2, 3}, true);
      const auto flat = hi.le(lo);
      const auto scale = torch::where(flat, torch::ones_like(hi), 1 / (hi - lo));
      return ((p - torch::where(flat, torch::zeros_like(lo), lo)) * scale).clamp(0, 1);
    }
    case Op::Equalize:
      return equalize(p);
    case Op::Invert:
      return 1 - p;
  }
  return p;
}

torch::Tensor to_pixels(const torch::Tensor& x, const std::vector<double>& mean,
                        const std::vector<double>& std) {
  const auto opts = x.options();
  return x * torch::tensor(std, opts).view({1, -1, 1, 1}) +
         torch::tensor(mean, opts).view({1, -1, 1, 1});
}

torch::Tensor from_pixels(const torch::Tensor& pixels, const std::vector<double>& mean,
                          const std::vector<double>& std) {
  const auto opts = pixels.options();
  return (pixels - torch::tensor(mean, opts).view({1, -1, 1, 1})) /
         torch::tensor(std, opts).view({1, -1, 1, 1});
}

}  // namespace dfkd::autoaugment
