#include "kr_loss.hpp"

#include <stdexcept>

namespace dfkd::losses {

namespace {
// τ as a tensor or a number alike.
template <class Tau>
torch::Tensor recoding(const torch::Tensor& residual, const Tau& tau, double kappa) {
  return (kappa * (residual.abs() - tau).clamp_min(0)).mean();
}
}  // namespace

torch::Tensor sparse_recoding(const torch::Tensor& residual, double tau, double kappa) {
  return recoding(residual, tau, kappa);
}

torch::Tensor aggregator_loss(const std::vector<torch::Tensor>& adapted,
                              const std::vector<torch::Tensor>& teacher) {
  if (adapted.size() != teacher.size() || adapted.empty())
    throw std::invalid_argument("kr: aggregator_loss needs one teacher feature per adapted tap");
  std::vector<torch::Tensor> mse, spread;
  for (size_t l = 0; l < adapted.size(); ++l) {
    if (adapted[l].sizes() != teacher[l].sizes())
      throw std::invalid_argument(
          "kr: adapted aggregator feature and teacher feature differ in shape");
    const auto r = adapted[l] - teacher[l].detach();
    mse.push_back(r.pow(2).mean());
    spread.push_back(r.detach().std());
  }
  const auto w = torch::stack(spread);
  const auto weights = w / w.sum().clamp_min(1e-12);
  return (weights * torch::stack(mse)).sum();
}

torch::Tensor kr_penalty(const torch::Tensor& student, const torch::Tensor& aggregator,
                         const std::string& kind, double kappa, double fixed_tau) {
  const auto r = student - aggregator.detach();
  if (kind == "l1") return r.abs().mean();
  if (kind == "l2") return r.pow(2).mean();
  if (kind != "psi")
    throw std::invalid_argument("kr: penalty must be psi, l1 or l2, found " + kind);
  if (fixed_tau >= 0) return sparse_recoding(r, fixed_tau, kappa);
  // The mean rule stays on the device: no host sync per tap and step.
  return recoding(r, r.detach().abs().mean(), kappa);
}

}  // namespace dfkd::losses
