#pragma once
/// The CIFAR ("8x") ResNet-18 / ResNet-34 of DFAD and DAFL (docs/methods.md §1 and its sources),
/// for Cx32x32 inputs:
///   stem conv3x3 C->64 (stride 1, no bias) + BN + ReLU, no max-pool;
///   four stages of BasicBlocks, 64/128/256/512 channels, strides 1/2/2/2,
///   [2,2,2,2] blocks (18) or [3,4,6,3] (34); shortcut 1x1 conv (stride s, no bias) + BN when the
///   shape changes, identity otherwise;
///   avg_pool(4) on the 4x4 map -> 512-d features -> Linear(512, K).
/// Parameter names follow the PyTorch reference: conv1, bn1, layer1.0.conv1, ...,
/// layer2.0.shortcut.0 (conv) / .1 (BN), linear.
#include <cstdint>
#include <dfkd/sdk.hpp>
#include <memory>
#include <string>
#include <vector>

namespace dfkd_resnet {

/// BasicBlocks per stage for `depth` 18 or 34; anything else throws dfkd::ConfigError naming the
/// option and the valid values.
std::vector<int64_t> resnet_blocks(int64_t depth);

/// Multiply-accumulates per image on an in_channels x size x size input: convolutions
/// Cout*Cin*k^2*Hout*Wout (shortcut convs included), the final Linear 512*K. BN, ReLU, the
/// residual additions and the average pool are not counted.
int64_t resnet_macs(const std::vector<int64_t>& blocks, int64_t in_channels, int64_t num_classes,
                    int64_t size = 32);

enum class ResNetInit {
  Kaiming,  ///< DFAD: convs kaiming_normal_(fan_out, relu), BN weight 1 / bias 0, Linear default
  Default,  ///< DAFL: LibTorch's (= PyTorch's) default initialisation everywhere
};

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Sequential shortcut{nullptr};  ///< null: identity
};
TORCH_MODULE(BasicBlock);

class ResNetNet : public torch::nn::Module {
 public:
  ResNetNet(const std::vector<int64_t>& blocks, int64_t in_channels, int64_t num_classes,
            ResNetInit init);

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::vector<torch::nn::Sequential> layers;  ///< layer1..layer4
  torch::nn::Linear linear{nullptr};
};

/// The `resnet` model plugin. Taps: stem [B,64,32,32], layer1 [B,64,32,32], layer2 [B,128,16,16],
/// layer3 [B,256,8,8], layer4 [B,512,4,4] (each the post-ReLU output of its last block),
/// features [B,512] (pooled layer4).
class ResNet : public dfkd::Model {
 public:
  static dfkd::PluginInfo info();
  ResNet(const dfkd::Options& options, const dfkd::DataShape& shape);

  torch::nn::Module& module() override { return *net_; }
  dfkd::ModelOutput forward(const torch::Tensor& x) override;
  std::vector<std::string> taps() const override;
  dfkd::ModelCost cost() const override { return cost_; }

  ResNetNet& net() { return *net_; }

 private:
  std::shared_ptr<ResNetNet> net_;
  dfkd::ModelCost cost_;
};

}  // namespace dfkd_resnet
