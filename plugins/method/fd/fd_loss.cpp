#include "fd_loss.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace dfkd::losses {

namespace nn = torch::nn;

namespace {
torch::Tensor per_sample_normalised(const torch::Tensor& f) {
  const auto flat = f.flatten(1);
  return flat / flat.norm(2, 1, /*keepdim=*/true).clamp_min(1e-12);
}
}  // namespace

torch::Tensor fd_loss(const torch::Tensor& regressed_student, const torch::Tensor& teacher) {
  if (regressed_student.sizes() != teacher.sizes())
    throw std::invalid_argument(fmt::format("fd_loss: student feature [{}] vs teacher [{}]",
                                            fmt::join(regressed_student.sizes(), ", "),
                                            fmt::join(teacher.sizes(), ", ")));
  return (per_sample_normalised(teacher.detach()) - per_sample_normalised(regressed_student))
      .abs()
      .mean();
}

double balanced_beta(double cross_entropy, double fd) {
  return fd > 0 ? cross_entropy / fd : 1.0;
}

torch::nn::Sequential make_fd_regressor(const std::vector<int64_t>& s,
                                        const std::vector<int64_t>& t, const std::string& kind) {
  if (s.size() == 1 && t.size() == 1) return nn::Sequential(nn::Linear(s[0], t[0]));
  if (s.size() != 3 || t.size() != 3 || s[1] != t[1] || s[2] != t[2])
    throw std::invalid_argument(fmt::format(
        "fd regressor: student feature [{}] -> teacher feature [{}]: expected two [C, H, W] maps "
        "of the same H and W, or two [D] vectors",
        fmt::join(s, ", "), fmt::join(t, ", ")));
  nn::Sequential reg(nn::Conv2d(nn::Conv2dOptions(s[0], t[0], 1)));
  if (kind == "conv_bn_relu") {
    reg->push_back(nn::BatchNorm2d(t[0]));
    reg->push_back(nn::ReLU());
  }
  return reg;
}

}  // namespace dfkd::losses
