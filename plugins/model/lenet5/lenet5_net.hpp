#pragma once
/// LeNet-5 as used by DFAD and DAFL for MNIST (docs/methods.md §1 and its sources): input Cx32x32,
///   conv5x5 C->c1, ReLU, maxpool2 -> conv5x5 c1->c2, ReLU, maxpool2 -> conv5x5 c2->c3, ReLU
///   -> flatten (the c3-d "features") -> FC c3->f1, ReLU -> FC f1->K.
/// No padding; every convolution and FC layer has a bias; LibTorch's default initialisation (the
/// same as PyTorch's, which both reference implementations use).
/// width 1 gives the teacher (6/16/120, FC 120->84->K); width 0.5 gives LeNet-5-half
/// (3/8/60, FC 60->42->K).
#include <cstdint>
#include <dfkd/sdk.hpp>
#include <memory>
#include <string>
#include <vector>

namespace dfkd_lenet5 {

/// Channel counts and hidden FC width: round(6w), round(16w), round(120w), round(84w).
struct LeNet5Widths {
  int64_t conv1 = 6;
  int64_t conv2 = 16;
  int64_t conv3 = 120;
  int64_t fc1 = 84;
};

/// The widths for `width` (1.0: LeNet-5, 0.5: LeNet-5-half). Throws dfkd::ConfigError naming
/// the option if a layer would get fewer than one channel (width < 1/12) or width is not finite.
LeNet5Widths lenet5_widths(double width);

/// Multiply-accumulates per image of LeNet5Net on an in_channels x 32 x 32 input: convolutions
/// Cout*Cin*k^2*Hout*Wout, linear layers in*out. Biases, ReLU and pooling are not counted.
int64_t lenet5_macs(int64_t in_channels, const LeNet5Widths& w, int64_t num_classes);

class LeNet5Net : public torch::nn::Module {
 public:
  LeNet5Net(int64_t in_channels, const LeNet5Widths& w, int64_t num_classes);

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::Conv2d conv3{nullptr};
  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};
};

/// The `lenet5` model plugin. Taps (all post-ReLU): conv1 [B,c1,14,14] and conv2 [B,c2,5,5]
/// (after their pools), conv3 [B,c3,1,1], features [B,c3] (conv3 flattened), fc1 [B,f1].
class LeNet5 : public dfkd::Model {
 public:
  static dfkd::PluginInfo info();
  LeNet5(const dfkd::Options& options, const dfkd::DataShape& shape);

  torch::nn::Module& module() override { return *net_; }
  dfkd::ModelOutput forward(const torch::Tensor& x) override;
  std::vector<std::string> taps() const override;
  dfkd::ModelCost cost() const override { return cost_; }

  LeNet5Net& net() { return *net_; }

 private:
  std::shared_ptr<LeNet5Net> net_;
  dfkd::ModelCost cost_;
};

}  // namespace dfkd_lenet5
