#pragma once
/// The optimizers the reference implementations use, built from plain settings so every method
/// plugin configures them the same way.
///
/// Example:
///   ctx.add_optimizer("student", dfkd::make_optimizer(ctx.student.module().parameters(),
///                                                     {"sgd", 0.1, 0.9, 5e-4}));
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dfkd {

struct OptimizerSettings {
  std::string kind = "sgd";  ///< "sgd" (momentum, weight decay) or "adam" (betas, weight decay)
  double lr = 0.1;
  double momentum = 0.9;  ///< sgd only
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999;  ///< adam only
};

/// Throws std::invalid_argument for an unknown kind.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> parameters,
                                                        const OptimizerSettings& settings);

}  // namespace dfkd
