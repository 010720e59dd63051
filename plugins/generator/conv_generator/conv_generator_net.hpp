#pragma once
/// DFAD's GeneratorA (taken from DAFL; docs/methods.md §1 and its sources) for CxSxS images, S
/// divisible by 4:
///   z [B,nz] -> Linear(nz, 2ngf*(S/4)^2) (bias) -> reshape [B,2ngf,S/4,S/4] -> BN(2ngf)
///   -> nearest upsample x2 -> conv3x3(2ngf->2ngf) -> BN(2ngf, eps) -> LeakyReLU(0.2)
///   -> nearest upsample x2 -> conv3x3(2ngf->ngf)  -> BN(ngf, eps)  -> LeakyReLU(0.2)
///   -> conv3x3(ngf->C) -> Tanh -> BN(C, affine=false).
/// Convs have padding 1 and a bias; LibTorch's default initialisation (= PyTorch's, as the
/// references). The last BN standardises every batch per channel (in train mode), so samples
/// play the role of already-normalised images.
/// bn_eps is the eps of the two inner BNs only. Default 1e-5 (PyTorch's, DFAD's GeneratorA).
/// DAFL's generator writes BatchNorm2d(c, 0.8): the positional argument is eps, so its inner BNs
/// have eps 0.8 (momentum stays 0.1); set bn_eps 0.8 to reproduce DAFL. The first and the last BN
/// always use 1e-5.
#include <cstdint>
#include <dfkd/sdk.hpp>
#include <memory>

namespace dfkd_conv_generator {

/// Multiply-accumulates per generated image: the Linear nz*2ngf*(S/4)^2 plus the three 3x3
/// convolutions Cout*Cin*9*Hout*Wout. BN, LeakyReLU, Tanh, upsampling and biases are not counted.
int64_t conv_generator_macs(int64_t nz, int64_t ngf, int64_t nc, int64_t img_size);

class ConvGeneratorNet : public torch::nn::Module {
 public:
  ConvGeneratorNet(int64_t nz, int64_t ngf, int64_t nc, int64_t img_size, double bn_eps);

  int64_t init_size;  ///< img_size / 4
  torch::nn::Linear l1{nullptr};
  torch::nn::BatchNorm2d bn0{nullptr};
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Conv2d conv3{nullptr};
  torch::nn::BatchNorm2d bn_out{nullptr};  ///< affine=false
};

/// The `conv_generator` generator plugin.
class ConvGenerator : public dfkd::Generator {
 public:
  static dfkd::PluginInfo info();
  ConvGenerator(const dfkd::Options& options, const dfkd::DataShape& shape);

  torch::nn::Module& module() override { return *net_; }
  int64_t latent_dim() const override { return nz_; }
  /// z: [B, nz] (or [B, nz, 1, 1]) -> [B, C, S, S]
  torch::Tensor forward(const torch::Tensor& z) override;

  /// conv_generator_macs for this instance.
  int64_t macs() const { return macs_; }
  ConvGeneratorNet& net() { return *net_; }

 private:
  int64_t nz_;
  int64_t macs_;
  std::shared_ptr<ConvGeneratorNet> net_;
};

}  // namespace dfkd_conv_generator
