#include "lenet5_net.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace dfkd_lenet5 {

namespace F = torch::nn::functional;

namespace {
constexpr int64_t kSize = 32;  // 32 -conv5-> 28 -pool-> 14 -conv5-> 10 -pool-> 5 -conv5-> 1
constexpr int64_t kKernel = 5;
}  // namespace

LeNet5Widths lenet5_widths(double width) {
  // round(6w) >= 1 <=> w >= 1/12; the other layers are wider.
  if (!std::isfinite(width) || std::lround(6.0 * width) < 1)
    throw dfkd::ConfigError(fmt::format(
        "lenet5: option width: expected a real >= 1/12 (at least one channel per layer; 1.0 is "
        "LeNet-5, 0.5 LeNet-5-half), found {}",
        width));
  LeNet5Widths w;
  w.conv1 = std::lround(6.0 * width);
  w.conv2 = std::lround(16.0 * width);
  w.conv3 = std::lround(120.0 * width);
  w.fc1 = std::lround(84.0 * width);
  return w;
}

int64_t lenet5_macs(int64_t in_channels, const LeNet5Widths& w, int64_t num_classes) {
  const int64_t k2 = kKernel * kKernel;
  return w.conv1 * in_channels * k2 * 28 * 28  // conv1: 32 -> 28
         + w.conv2 * w.conv1 * k2 * 10 * 10    // conv2: 14 -> 10
         + w.conv3 * w.conv2 * k2 * 1 * 1      // conv3: 5 -> 1
         + w.conv3 * w.fc1                     // fc1
         + w.fc1 * num_classes;                // fc2
}

LeNet5Net::LeNet5Net(int64_t in_channels, const LeNet5Widths& w, int64_t num_classes) {
  conv1 = register_module(
      "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, w.conv1, kKernel)));
  conv2 = register_module("conv2",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(w.conv1, w.conv2, kKernel)));
  conv3 = register_module("conv3",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(w.conv2, w.conv3, kKernel)));
  fc1 = register_module("fc1", torch::nn::Linear(w.conv3, w.fc1));
  fc2 = register_module("fc2", torch::nn::Linear(w.fc1, num_classes));
}

dfkd::PluginInfo LeNet5::info() {
  dfkd::PluginInfo info;
  info.doc =
      "LeNet-5 for Cx32x32 images (DFAD/DAFL's MNIST teacher; width 0.5 = LeNet-5-half student); "
      "taps conv1, conv2, conv3, features (flattened conv3), fc1";
  info.options = {
      dfkd::option_real("width", 1.0,
                        "channel multiplier: layers get round(6w), round(16w), round(120w) "
                        "channels and an FC of round(84w); 1.0 = LeNet-5, 0.5 = LeNet-5-half "
                        "(3/8/60, FC 60->42)")
          .greater_than(0)
          .at_most(64),
  };
  return info;
}

LeNet5::LeNet5(const dfkd::Options& options, const dfkd::DataShape& shape) {
  const LeNet5Widths w = lenet5_widths(options.real("width"));
  const auto& in = shape.input_shape;
  if (in.size() != 3 || in[0] < 1 || in[1] != kSize || in[2] != kSize || shape.num_classes < 1)
    throw dfkd::ConfigError(fmt::format(
        "lenet5: data shape: expected a Cx32x32 image input (the three 5x5 convolutions and two "
        "2x2 pools reduce exactly 32x32 to 1x1; resize MNIST to 32x32) and >= 1 class, found "
        "[{}] and {}",
        fmt::join(in, ", "), shape.num_classes));
  net_ = std::make_shared<LeNet5Net>(in[0], w, shape.num_classes);
  cost_.macs = lenet5_macs(in[0], w, shape.num_classes);
  for (const auto& p : net_->parameters()) cost_.parameters += p.numel();
}

dfkd::ModelOutput LeNet5::forward(const torch::Tensor& x) {
  dfkd::ModelOutput out;
  auto h = F::max_pool2d(torch::relu(net_->conv1->forward(x)), F::MaxPool2dFuncOptions(2));
  out.features["conv1"] = h;
  h = F::max_pool2d(torch::relu(net_->conv2->forward(h)), F::MaxPool2dFuncOptions(2));
  out.features["conv2"] = h;
  h = torch::relu(net_->conv3->forward(h));
  out.features["conv3"] = h;
  auto f = h.flatten(1);
  out.features["features"] = f;
  auto a = torch::relu(net_->fc1->forward(f));
  out.features["fc1"] = a;
  out.logits = net_->fc2->forward(a);
  return out;
}

std::vector<std::string> LeNet5::taps() const {
  return {"conv1", "conv2", "conv3", "features", "fc1"};
}

}  // namespace dfkd_lenet5
