#include "ft_loss.hpp"

namespace dfkd::losses {

namespace F = torch::nn::functional;
namespace nn = torch::nn;

namespace {
torch::Tensor normalised_factor(const torch::Tensor& factor) {
  return F::normalize(factor.flatten(1), F::NormalizeFuncOptions().p(2).dim(1));
}

nn::Sequential conv_stack(const std::vector<std::pair<int64_t, int64_t>>& channels,
                          bool transposed) {
  nn::Sequential seq;
  for (const auto& [in, out] : channels) {
    if (transposed)
      seq->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 3).padding(1)));
    else
      seq->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
    seq->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.1)));
  }
  return seq;
}
}  // namespace

torch::Tensor ft_factor_loss(const torch::Tensor& student_factor,
                             const torch::Tensor& teacher_factor) {
  return torch::l1_loss(normalised_factor(student_factor),
                        normalised_factor(teacher_factor.detach()), at::Reduction::Mean);
}

torch::Tensor ft_paraphraser_loss(const torch::Tensor& reconstruction,
                                  const torch::Tensor& teacher_feature) {
  return torch::l1_loss(reconstruction, teacher_feature.detach(), at::Reduction::Mean);
}

ParaphraserImpl::ParaphraserImpl(int64_t c, int64_t m) {
  encoder_ = register_module("encoder", conv_stack({{c, c}, {c, m}, {m, m}}, false));
  decoder_ = register_module("decoder", conv_stack({{m, m}, {m, c}, {c, c}}, true));
}

torch::Tensor ParaphraserImpl::encode(const torch::Tensor& feature) {
  return encoder_->forward(feature);
}

torch::Tensor ParaphraserImpl::decode(const torch::Tensor& factor) {
  return decoder_->forward(factor);
}

nn::Sequential make_translator(int64_t cs, int64_t m) {
  return conv_stack({{cs, cs}, {cs, m}, {m, m}}, false);
}

}  // namespace dfkd::losses
