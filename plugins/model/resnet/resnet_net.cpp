#include "resnet_net.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace dfkd_resnet {

namespace F = torch::nn::functional;

namespace {

constexpr int64_t kSize = 32;  // avg_pool(4) sees exactly layer4's 4x4 map only at 32x32
constexpr int64_t kStagePlanes[4] = {64, 128, 256, 512};
constexpr int64_t kStageStrides[4] = {1, 2, 2, 2};

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

std::vector<int64_t> resnet_blocks(int64_t depth) {
  if (depth == 18) return {2, 2, 2, 2};
  if (depth == 34) return {3, 4, 6, 3};
  throw dfkd::ConfigError(
      fmt::format("resnet: option depth: expected one of 18, 34 (CIFAR BasicBlock ResNets), "
                  "found {}",
                  depth));
}

int64_t resnet_macs(const std::vector<int64_t>& blocks, int64_t in_channels, int64_t num_classes,
                    int64_t size) {
  int64_t macs = 64 * in_channels * 9 * size * size;  // stem, stride 1
  int64_t in = 64;
  int64_t h = size;
  for (size_t s = 0; s < blocks.size(); ++s) {
    const int64_t planes = kStagePlanes[s];
    for (int64_t b = 0; b < blocks[s]; ++b) {
      const int64_t stride = b == 0 ? kStageStrides[s] : 1;
      h = (h - 1) / stride + 1;  // 3x3 pad 1 and 1x1 pad 0 give the same output size
      macs += planes * in * 9 * h * h + planes * planes * 9 * h * h;
      if (stride != 1 || in != planes) macs += planes * in * h * h;  // 1x1 shortcut
      in = planes;
    }
  }
  return macs + in * num_classes;
}

BasicBlockImpl::BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride) {
  conv1 = register_module("conv1", conv(in_planes, planes, 3, stride));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  if (stride != 1 || in_planes != planes)
    shortcut = register_module("shortcut", torch::nn::Sequential(conv(in_planes, planes, 1, stride),
                                                                 torch::nn::BatchNorm2d(planes)));
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  // In place where autograd allows it (BN's backward needs its input, not its output; ReLU's
  // needs its output, which nothing modifies afterwards): no extra activation copies.
  auto out = bn1->forward(conv1->forward(x)).relu_();
  out = bn2->forward(conv2->forward(out));
  out.add_(shortcut ? shortcut->forward(x) : x);
  return out.relu_();
}

ResNetNet::ResNetNet(const std::vector<int64_t>& blocks, int64_t in_channels, int64_t num_classes,
                     ResNetInit init) {
  conv1 = register_module("conv1", conv(in_channels, 64, 3, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  int64_t in = 64;
  for (size_t s = 0; s < blocks.size(); ++s) {
    torch::nn::Sequential stage;
    for (int64_t b = 0; b < blocks[s]; ++b) {
      stage->push_back(BasicBlock(in, kStagePlanes[s], b == 0 ? kStageStrides[s] : 1));
      in = kStagePlanes[s];
    }
    layers.push_back(register_module(fmt::format("layer{}", s + 1), stage));
  }
  linear = register_module("linear", torch::nn::Linear(in, num_classes));

  if (init == ResNetInit::Kaiming) {
    torch::NoGradGuard no_grad;
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* c = m->as<torch::nn::Conv2dImpl>()) {
        torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      } else if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
        torch::nn::init::ones_(bn->weight);
        torch::nn::init::zeros_(bn->bias);
      }
    }
  }
}

dfkd::PluginInfo ResNet::info() {
  dfkd::PluginInfo info;
  info.doc =
      "CIFAR ResNet-18/34 (BasicBlocks, 3x3 stem, no max-pool; DFAD/DAFL's resnet_8x) for Cx32x32 "
      "images; taps stem, layer1..layer4, features (512-d pooled)";
  info.options = {
      dfkd::option_int("depth", 18,
                       "18 (blocks [2,2,2,2]; the student) or 34 ([3,4,6,3]; the teacher)")
          .at_least(18)
          .at_most(34),
      dfkd::option_string("init", "kaiming",
                          "kaiming: DFAD's init (convs kaiming_normal fan_out/relu, BN 1/0, Linear "
                          "default); default: LibTorch's = PyTorch's defaults, as DAFL",
                          {"kaiming", "default"}),
  };
  return info;
}

ResNet::ResNet(const dfkd::Options& options, const dfkd::DataShape& shape) {
  const auto blocks = resnet_blocks(options.integer("depth"));
  const auto& in = shape.input_shape;
  if (in.size() != 3 || in[0] < 1 || in[1] != kSize || in[2] != kSize || shape.num_classes < 1)
    throw dfkd::ConfigError(fmt::format(
        "resnet: data shape: expected a Cx32x32 image input (avg_pool(4) after three stride-2 "
        "stages assumes 32x32) and >= 1 class, found [{}] and {}",
        fmt::join(in, ", "), shape.num_classes));
  const auto init = options.string("init") == "default" ? ResNetInit::Default : ResNetInit::Kaiming;
  net_ = std::make_shared<ResNetNet>(blocks, in[0], shape.num_classes, init);
  cost_.macs = resnet_macs(blocks, in[0], shape.num_classes, kSize);
  for (const auto& p : net_->parameters()) cost_.parameters += p.numel();
}

dfkd::ModelOutput ResNet::forward(const torch::Tensor& x) {
  dfkd::ModelOutput out;
  auto h = net_->bn1->forward(net_->conv1->forward(x)).relu_();
  out.features["stem"] = h;
  for (size_t s = 0; s < net_->layers.size(); ++s) {
    h = net_->layers[s]->forward(h);
    out.features[fmt::format("layer{}", s + 1)] = h;
  }
  auto f = F::avg_pool2d(h, F::AvgPool2dFuncOptions(4)).flatten(1);
  out.features["features"] = f;
  out.logits = net_->linear->forward(f);
  return out;
}

std::vector<std::string> ResNet::taps() const {
  return {"stem", "layer1", "layer2", "layer3", "layer4", "features"};
}

}  // namespace dfkd_resnet
