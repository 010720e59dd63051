#pragma once
/// Generator plugins map latent noise z to inputs in the (normalised) data space.
#include <torch/torch.h>

namespace dfkd {

class Generator {
 public:
  virtual ~Generator();
  virtual torch::nn::Module& module() = 0;
  virtual int64_t latent_dim() const = 0;
  /// z: [B, latent_dim] -> x: [B, input_shape...]
  virtual torch::Tensor forward(const torch::Tensor& z) = 0;
};

/// z ~ N(0, I) of shape [n, generator.latent_dim()], drawn from `rng`.
torch::Tensor sample_latent(Generator& generator, int64_t n, torch::Generator& rng,
                            const torch::Device& device);

}  // namespace dfkd
