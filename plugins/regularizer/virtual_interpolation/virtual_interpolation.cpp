// Student-stage regularizer: virtual interpolation (mixup of generated samples with interpolated
// teacher logits as targets), measured with the method's own discrepancy.
#include <fmt/format.h>

#include <dfkd/sdk.hpp>

#include "virtual_interpolation_loss.hpp"

namespace dfkd_virtual_interpolation {

class VirtualInterpolation : public dfkd::Regularizer {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "Virtual interpolation (Qu et al. eq. 9): D(S(lx_i + (1-l)x_j), l T(x_i) + "
        "(1-l) T(x_j)) with l ~ Beta(alpha, alpha); partner j from a permutation of the batch "
        "or a second generated batch";
    info.options = {
        dfkd::option_real("alpha", 1.0,
                          "lambda ~ Beta(alpha, alpha); 1 = uniform (mixup's default)")
            .greater_than(0),
        dfkd::option_bool("per_sample", false,
                          "false: one lambda per batch, as in mixup; true: one per sample"),
        dfkd::option_string("partner", "permutation",
                            "where x_j comes from: a random permutation of the same generated "
                            "batch (free), or a second generated batch (+1 generator and teacher "
                            "forward per student step)",
                            {"permutation", "second_batch"}),
        dfkd::option_string(
            "target", "interpolated_logits",
            "target of the mixed samples: the interpolated teacher logits "
            "(eq. 9 as the reference code reads it, no extra teacher pass), the "
            "interpolated teacher probabilities (softmax first: the literal reading "
            "of eqs. 4-8), or the teacher's logits on the mixed samples, T(x_mix) "
            "(an ablation, +1 teacher forward)",
            {"interpolated_logits", "interpolated_probabilities", "teacher"}),
        dfkd::option_string("loss", "discrepancy",
                            "how S(x_mix) meets the target: the method's own discrepancy (DFAD: "
                            "mean L1), or mean L1, mean squared error, or KL(target || "
                            "softmax(S(x_mix))) per sample; against probabilities, L1/MSE/the "
                            "discrepancy compare softmax(S(x_mix))",
                            {"discrepancy", "l1", "mse", "kl"}),
    };
    return info;
  }

  explicit VirtualInterpolation(const dfkd::Options& o)
      : alpha_(o.real("alpha")),
        per_sample_(o.boolean("per_sample")),
        second_batch_(o.string("partner") == "second_batch"),
        teacher_target_(o.string("target") == "teacher"),
        space_(o.string("target") == "interpolated_probabilities"
                   ? dfkd::losses::TargetSpace::Probabilities
                   : dfkd::losses::TargetSpace::Logits),
        loss_(loss_of(o.string("loss"))) {
    if (!(alpha_ > 0))
      throw dfkd::ConfigError(fmt::format(
          "virtual_interpolation: option alpha: expected a real > 0, found {}", alpha_));
  }

  dfkd::RegularizerStage stage() const override { return dfkd::RegularizerStage::Student; }

  torch::Tensor student_term(const dfkd::StudentStepInputs& in) override {
    const int64_t batch = in.x.size(0);
    std::vector<int64_t> shape;
    if (per_sample_) shape.push_back(batch);
    auto lambda = dfkd::losses::sample_beta(alpha_, shape, in.rng);
    torch::Tensor x_mix, t_mix;
    const auto target_of = [&](const torch::Tensor& logits) {
      return space_ == dfkd::losses::TargetSpace::Probabilities ? torch::softmax(logits, 1)
                                                                : logits;
    };
    const auto t = target_of(in.teacher.logits.detach());
    if (second_batch_) {
      if (!in.generator || !in.teacher_model)
        throw std::logic_error(
            "virtual_interpolation: partner \"second_batch\" needs the generator and the teacher "
            "in the student step's inputs; this method does not pass them");
      torch::NoGradGuard no_grad;
      auto x2 =
          in.generator->forward(dfkd::sample_latent(*in.generator, batch, in.rng, in.x.device()));
      auto t2 = target_of(in.teacher_model->forward(x2).logits);
      std::tie(x_mix, t_mix) = dfkd::losses::mix_pair(in.x, t, x2, t2, lambda);
    } else {
      auto perm = torch::randperm(batch, in.rng, torch::kLong);
      std::tie(x_mix, t_mix) = dfkd::losses::mix(in.x, t, lambda, perm);
    }
    if (teacher_target_) {
      if (!in.teacher_model)
        throw std::logic_error(
            "virtual_interpolation: target \"teacher\" needs the teacher in the student step's "
            "inputs; this method does not pass it");
      torch::NoGradGuard no_grad;
      t_mix = in.teacher_model->forward(x_mix).logits;
    }
    return dfkd::losses::vi_loss(in.student.forward(x_mix).logits, t_mix, space_, loss_,
                                 in.discrepancy);
  }

 private:
  static dfkd::losses::ViLoss loss_of(const std::string& name) {
    using dfkd::losses::ViLoss;
    if (name == "l1") return ViLoss::L1;
    if (name == "mse") return ViLoss::Mse;
    if (name == "kl") return ViLoss::Kl;
    return ViLoss::Discrepancy;
  }

  double alpha_;
  bool per_sample_;
  bool second_batch_;
  bool teacher_target_;
  dfkd::losses::TargetSpace space_;
  dfkd::losses::ViLoss loss_;
};

}  // namespace dfkd_virtual_interpolation

DFKD_PLUGIN(regularizer, "virtual_interpolation", "1.1.0",
            dfkd_virtual_interpolation::VirtualInterpolation)
