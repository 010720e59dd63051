#include "virtual_interpolation_loss.hpp"

namespace dfkd::losses {

namespace {
// lambda shaped to broadcast over v's trailing dimensions: [] stays [], [B] becomes [B, 1, ...].
torch::Tensor broadcastable(const torch::Tensor& lambda, const torch::Tensor& v) {
  auto lam = lambda.to(v.options());
  if (lam.dim() == 0) return lam;
  std::vector<int64_t> shape(v.dim(), 1);
  shape[0] = v.size(0);
  return lam.view(shape);
}
}  // namespace

std::pair<torch::Tensor, torch::Tensor> mix_pair(const torch::Tensor& x, const torch::Tensor& t,
                                                 const torch::Tensor& x_partner,
                                                 const torch::Tensor& t_partner,
                                                 const torch::Tensor& lambda) {
  TORCH_CHECK(lambda.dim() == 0 || (lambda.dim() == 1 && lambda.size(0) == x.size(0)),
              "mix: lambda: expected a scalar or [", x.size(0), "], found ", lambda.sizes());
  TORCH_CHECK(
      x_partner.sizes() == x.sizes() && t_partner.sizes() == t.sizes() && t.size(0) == x.size(0),
      "mix: expected partners shaped like x ", x.sizes(), " and t [B, K], found ",
      x_partner.sizes(), " and ", t_partner.sizes());
  auto lx = broadcastable(lambda, x);
  auto lt = broadcastable(lambda, t);
  return {lx * x + (1 - lx) * x_partner, lt * t + (1 - lt) * t_partner};
}

std::pair<torch::Tensor, torch::Tensor> mix(const torch::Tensor& x, const torch::Tensor& t,
                                            const torch::Tensor& lambda,
                                            const torch::Tensor& perm) {
  TORCH_CHECK(perm.dim() == 1 && perm.size(0) == x.size(0) && t.size(0) == x.size(0),
              "mix: expected perm [B] and t [B, K] with B = ", x.size(0), ", found perm ",
              perm.sizes(), " and t ", t.sizes());
  auto index = perm.to(x.device(), torch::kLong);
  return mix_pair(x, t, x.index_select(0, index), t.index_select(0, index), lambda);
}

torch::Tensor sample_beta(double alpha, at::IntArrayRef shape, torch::Generator& rng) {
  auto concentration = torch::full(shape, alpha, torch::kFloat64);
  auto g1 = at::_standard_gamma(concentration, rng);
  auto g2 = at::_standard_gamma(concentration, rng);
  auto sum = g1 + g2;
  // For tiny alpha both draws can underflow to 0; Beta(a, a) is symmetric, so 1/2 is neutral.
  return torch::where(sum > 0, g1 / sum, torch::full_like(sum, 0.5));
}

torch::Tensor vi_loss(const torch::Tensor& student_logits, const torch::Tensor& target,
                      TargetSpace space, ViLoss loss, const Discrepancy& discrepancy) {
  TORCH_CHECK(student_logits.sizes() == target.sizes(), "vi_loss: student logits ",
              student_logits.sizes(), " and target ", target.sizes(), " differ in shape");
  const bool probabilities = space == TargetSpace::Probabilities;
  if (loss == ViLoss::Kl) {
    const auto p = probabilities ? target : torch::softmax(target, 1);
    const auto log_q = torch::log_softmax(student_logits, 1);
    // xlogy: a zero target probability contributes 0, not 0 * log 0 = NaN.
    return (torch::xlogy(p, p) - p * log_q).sum() / student_logits.size(0);
  }
  const auto s = probabilities ? torch::softmax(student_logits, 1) : student_logits;
  switch (loss) {
    case ViLoss::L1:
      return (s - target).abs().mean();
    case ViLoss::Mse:
      return (s - target).pow(2).mean();
    default:
      return discrepancy(s, target);
  }
}

torch::Tensor virtual_interpolation(Model& student, const Discrepancy& discrepancy,
                                    const torch::Tensor& x, const torch::Tensor& teacher_logits,
                                    const torch::Tensor& lambda, const torch::Tensor& perm) {
  auto [x_mix, t_mix] = mix(x, teacher_logits.detach(), lambda, perm);
  return discrepancy(student.forward(x_mix).logits, t_mix);
}

}  // namespace dfkd::losses
