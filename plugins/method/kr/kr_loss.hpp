#pragma once
/// Knowledge Representing (Liu et al. 2019): an aggregator network K learns the teacher's
/// features through adapters; the student is pulled toward K by a sparse recoding penalty that
/// ignores small residuals. The paper's equations were lost from every available copy; these are
/// the reconstruction of the dfkd spec (docs/methods.md, "KR"), every guess an option.
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dfkd::losses {

/// ψ_τ averaged over elements: mean of (|r| > τ ? κ·(|r| − τ) : 0).
torch::Tensor sparse_recoding(const torch::Tensor& residual, double tau, double kappa);

/// The aggregator's loss (eq. 9 without λ): Σ_l w_l · mean((a_l − t_l)²) over the taps, w_l =
/// std(a_l − t_l) / Σ_k std(a_k − t_k) (each over all elements, unbiased, detached): the taps whose
/// residuals spread most weigh most. Teacher features are targets (detached).
torch::Tensor aggregator_loss(const std::vector<torch::Tensor>& adapted,
                              const std::vector<torch::Tensor>& teacher);

/// The student's penalty toward the aggregator on one tap, r = student − aggregator (the
/// aggregator detached): "psi" = sparse_recoding(r, τ, κ) with τ = mean|r| (detached) when
/// `fixed_tau` < 0, else τ = fixed_tau; "l1" = mean|r|; "l2" = mean r² (KR without Ψ).
torch::Tensor kr_penalty(const torch::Tensor& student, const torch::Tensor& aggregator,
                         const std::string& kind, double kappa, double fixed_tau);

}  // namespace dfkd::losses
