#pragma once
/// Virtual interpolation (Qu et al. 2021, eq. 9): mixup of generated samples and of the teacher's
/// logits on them, so the student learns the teacher between samples at no extra teacher pass.
#include <utility>

#include <torch/torch.h>

#include <dfkd/model.hpp>
#include <dfkd/regularizer.hpp>

namespace dfkd::losses {

/// x_mix = lambda * x + (1 - lambda) * x[perm],  t_mix = lambda * t + (1 - lambda) * t[perm].
/// lambda is a scalar tensor (one per batch) or [B] (one per sample); perm is a [B] index tensor.
/// x [B, ...] keeps its graph; t [B, K] is used as given (detach a target before passing it).
std::pair<torch::Tensor, torch::Tensor> mix(const torch::Tensor& x, const torch::Tensor& t,
                                            const torch::Tensor& lambda, const torch::Tensor& perm);

/// The same with an explicit partner batch: x_mix = lambda * x + (1 - lambda) * x_partner,
/// t_mix = lambda * t + (1 - lambda) * t_partner (partner = a second generated batch).
std::pair<torch::Tensor, torch::Tensor> mix_pair(const torch::Tensor& x, const torch::Tensor& t,
                                                 const torch::Tensor& x_partner,
                                                 const torch::Tensor& t_partner,
                                                 const torch::Tensor& lambda);

/// Beta(alpha, alpha) samples of the given shape ({} for a scalar) as float64 on the CPU, drawn
/// as G1 / (G1 + G2) with G1, G2 ~ Gamma(alpha, 1) from `rng`.
torch::Tensor sample_beta(double alpha, at::IntArrayRef shape, torch::Generator& rng);

/// What the mixed samples' target is measured in (the `target` option): logits (eq. 9 as the
/// reference code reads it, or the teacher's logits on the mixed samples) or probabilities
/// (lambda softmax(t_i) + (1 - lambda) softmax(t_j): the literal reading of the paper's eqs. 4-8).
enum class TargetSpace { Logits, Probabilities };

/// How the student is compared with the target (the `loss` option). Discrepancy is the method's
/// own (DFAD: mean L1 on logits); on a probability target it compares softmax(S(x_mix)) with it.
/// L1 and Mse are means over all elements, of logits or, on a probability target, of
/// softmax(S(x_mix)). Kl is KL(target || softmax(S(x_mix))) summed over classes and averaged over
/// the batch; a logit target is turned into probabilities by softmax first.
enum class ViLoss { Discrepancy, L1, Mse, Kl };

/// The VI loss of the student's logits on the mixed samples against `target` (no gradient).
torch::Tensor vi_loss(const torch::Tensor& student_logits, const torch::Tensor& target,
                      TargetSpace space, ViLoss loss, const Discrepancy& discrepancy);

/// The VI term: discrepancy(S(x_mix), t_mix), where (x_mix, t_mix) = mix(x, teacher_logits
/// detached, lambda, perm).
torch::Tensor virtual_interpolation(Model& student, const Discrepancy& discrepancy,
                                    const torch::Tensor& x, const torch::Tensor& teacher_logits,
                                    const torch::Tensor& lambda, const torch::Tensor& perm);

}  // namespace dfkd::losses
