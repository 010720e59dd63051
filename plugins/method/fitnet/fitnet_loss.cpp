#include "fitnet_loss.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace dfkd::losses {

namespace nn = torch::nn;

torch::Tensor fitnet_hint_loss(const torch::Tensor& regressed_student,
                               const torch::Tensor& teacher_hint) {
  return torch::mse_loss(regressed_student, teacher_hint.detach(), at::Reduction::Mean);
}

torch::nn::Sequential make_hint_regressor(const std::vector<int64_t>& s,
                                          const std::vector<int64_t>& t) {
  auto unsupported = [&](const char* why) {
    return std::invalid_argument(
        fmt::format("fitnet regressor: student feature [{}] -> teacher hint [{}]: {}",
                    fmt::join(s, ", "), fmt::join(t, ", "), why));
  };
  if (s.size() == 1 && t.size() == 1) return nn::Sequential(nn::Linear(s[0], t[0]), nn::ReLU());
  if (s.size() != 3 || t.size() != 3)
    throw unsupported("expected two [C, H, W] maps or two [D] vectors");
  const int64_t hs = s[1], ht = t[1];
  nn::Sequential reg;
  if (hs >= ht && hs < 2 * ht) {
    reg->push_back(nn::Conv2d(nn::Conv2dOptions(s[0], t[0], 1 + hs - ht)));
  } else if (hs == 2 * ht) {
    reg->push_back(nn::Conv2d(nn::Conv2dOptions(s[0], t[0], 3).stride(2).padding(1)));
  } else if (2 * hs == ht) {
    reg->push_back(
        nn::ConvTranspose2d(nn::ConvTranspose2dOptions(s[0], t[0], 4).stride(2).padding(1)));
  } else {
    throw unsupported("spatial sizes must be equal, within a factor of 2, or the student's larger");
  }
  reg->push_back(nn::BatchNorm2d(t[0]));
  reg->push_back(nn::ReLU());
  return reg;
}

}  // namespace dfkd::losses
