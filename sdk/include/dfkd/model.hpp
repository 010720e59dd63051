#pragma once
/// Model plugins: a LibTorch module plus named feature taps.
///
/// Methods read features by tap name (e.g. "features" = penultimate activations) instead of
/// reaching into model internals, so one method works across architectures.
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dfkd {

struct ModelOutput {
  torch::Tensor logits;
  std::map<std::string, torch::Tensor> features;
  /// The tap `name`; throws std::out_of_range listing the available taps if absent.
  const torch::Tensor& feature(const std::string& name) const;
};

/// Cost of one forward pass of one sample; the paper reports these.
struct ModelCost {
  int64_t macs = 0;
  int64_t parameters = 0;
};

class Model {
 public:
  virtual ~Model();
  /// The underlying module: parameters, train()/eval(), to(device), save/load.
  virtual torch::nn::Module& module() = 0;
  virtual ModelOutput forward(const torch::Tensor& x) = 0;
  /// Names of the feature taps `forward` fills.
  virtual std::vector<std::string> taps() const = 0;
  virtual ModelCost cost() const = 0;
};

}  // namespace dfkd
