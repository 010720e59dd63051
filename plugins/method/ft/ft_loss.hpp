#pragma once
/// Factor transfer (Kim, Park & Kwak 2018) in the official form (Jangho-Kim/Factor-Transfer-
/// pytorch): a paraphraser auto-encodes the teacher's feature map into a factor; a translator maps
/// the student's feature map to a factor of the same shape; the student matches the factors.
#include <cstdint>

#include <torch/torch.h>

namespace dfkd::losses {

/// mean over B*D of |F_s/||F_s|| - F_t/||F_t|||, F = the factor flattened per sample and
/// L2-normalised per sample (`nn.L1Loss`, p = 1). The teacher factor is detached.
torch::Tensor ft_factor_loss(const torch::Tensor& student_factor,
                             const torch::Tensor& teacher_factor);

/// The paraphraser's pre-training loss: mean |reconstruction - teacher feature| (L1).
torch::Tensor ft_paraphraser_loss(const torch::Tensor& reconstruction,
                                  const torch::Tensor& teacher_feature);

/// Paraphraser of a C-channel map with rate k (factor channels m = round(k C)): encoder conv3x3
/// C->C, C->m, m->m, decoder transposed conv3x3 m->m, m->C, C->C; stride 1, padding 1, bias,
/// LeakyReLU(0.1) after every layer (the reconstruction too), no BN.
class ParaphraserImpl : public torch::nn::Module {
 public:
  ParaphraserImpl(int64_t channels, int64_t factor_channels);
  torch::Tensor encode(const torch::Tensor& feature);
  torch::Tensor decode(const torch::Tensor& factor);

 private:
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
};
TORCH_MODULE(Paraphraser);

/// Translator of a C_s-channel student map to m factor channels: conv3x3 C_s->C_s, C_s->m, m->m,
/// LeakyReLU(0.1) after each, no BN (the official form).
torch::nn::Sequential make_translator(int64_t student_channels, int64_t factor_channels);

}  // namespace dfkd::losses
