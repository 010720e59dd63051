#include "conv_generator_net.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace dfkd_conv_generator {

namespace F = torch::nn::functional;

namespace {

const auto kLeaky = F::LeakyReLUFuncOptions().negative_slope(0.2).inplace(true);

torch::nn::Conv2d conv3x3(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(1).padding(1));
}

torch::Tensor upsample2(const torch::Tensor& x) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{2 * x.size(2), 2 * x.size(3)})
                               .mode(torch::kNearest));
}

}  // namespace

int64_t conv_generator_macs(int64_t nz, int64_t ngf, int64_t nc, int64_t img_size) {
  const int64_t s4 = img_size / 4;
  const int64_t s2 = 2 * s4;
  return nz * 2 * ngf * s4 * s4                     // l1
         + 2 * ngf * 2 * ngf * 9 * s2 * s2          // conv1 at S/2
         + ngf * 2 * ngf * 9 * img_size * img_size  // conv2 at S
         + nc * ngf * 9 * img_size * img_size;      // conv3 at S
}

ConvGeneratorNet::ConvGeneratorNet(int64_t nz, int64_t ngf, int64_t nc, int64_t img_size,
                                   double bn_eps)
    : init_size(img_size / 4) {
  l1 = register_module("l1", torch::nn::Linear(nz, 2 * ngf * init_size * init_size));
  bn0 = register_module("bn0", torch::nn::BatchNorm2d(2 * ngf));
  conv1 = register_module("conv1", conv3x3(2 * ngf, 2 * ngf));
  bn1 = register_module("bn1",
                        torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(2 * ngf).eps(bn_eps)));
  conv2 = register_module("conv2", conv3x3(2 * ngf, ngf));
  bn2 = register_module("bn2",
                        torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(ngf).eps(bn_eps)));
  conv3 = register_module("conv3", conv3x3(ngf, nc));
  bn_out = register_module("bn_out",
                           torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(nc).affine(false)));
}

dfkd::PluginInfo ConvGenerator::info() {
  dfkd::PluginInfo info;
  info.doc =
      "DFAD/DAFL GeneratorA for CxSxS images (S divisible by 4): Linear -> BN -> 2x [upsample, "
      "conv3x3, BN, LeakyReLU(0.2)] -> conv3x3 -> Tanh -> BN(affine=false)";
  info.options = {
      dfkd::option_int("nz", 100, "dimension of z ~ N(0, I) (DFAD: 100 for MNIST, 256 for CIFAR)")
          .at_least(1)
          .at_most(65536),
      dfkd::option_int(
          "ngf", 64, "base width: the convolutions have 2ngf, 2ngf and ngf channels (cost ~ ngf^2)")
          .at_least(1)
          .at_most(4096),
      dfkd::option_real("bn_eps", 1e-5,
                        "eps of the two inner BatchNorms (DFAD: 1e-5); DAFL's generator has 0.8 "
                        "there (BatchNorm2d(c, 0.8): positional eps): use 0.8 to reproduce DAFL")
          .greater_than(0),
  };
  return info;
}

ConvGenerator::ConvGenerator(const dfkd::Options& options, const dfkd::DataShape& shape)
    : nz_(options.integer("nz")) {
  const int64_t ngf = options.integer("ngf");
  const double eps = options.real("bn_eps");
  if (nz_ < 1)
    throw dfkd::ConfigError(
        fmt::format("conv_generator: option nz: expected an integer >= 1, found {}", nz_));
  if (ngf < 1)
    throw dfkd::ConfigError(
        fmt::format("conv_generator: option ngf: expected an integer >= 1, found {}", ngf));
  if (!std::isfinite(eps) || eps <= 0)
    throw dfkd::ConfigError(
        fmt::format("conv_generator: option bn_eps: expected a real > 0, found {}", eps));
  const auto& in = shape.input_shape;
  if (in.size() != 3 || in[0] < 1 || in[1] != in[2] || in[1] < 4 || in[1] % 4 != 0)
    throw dfkd::ConfigError(fmt::format(
        "conv_generator: data shape: expected a CxSxS image input with S divisible by 4 (two x2 "
        "upsamplings from S/4), found [{}]",
        fmt::join(in, ", ")));
  net_ = std::make_shared<ConvGeneratorNet>(nz_, ngf, in[0], in[1], eps);
  macs_ = conv_generator_macs(nz_, ngf, in[0], in[1]);
}

torch::Tensor ConvGenerator::forward(const torch::Tensor& z) {
  const int64_t s = net_->init_size;
  auto h = net_->l1->forward(z.reshape({z.size(0), -1}));
  h = h.view({z.size(0), -1, s, s});
  // Follow the convolutions' layout (the host trains image networks in channels_last): converting
  // this small S/4 map is 16x cheaper than letting conv1 convert its upsampled input.
  if (net_->conv1->weight.is_contiguous(torch::MemoryFormat::ChannelsLast))
    h = h.contiguous(torch::MemoryFormat::ChannelsLast);
  h = net_->bn0->forward(h);
  // In place on BN outputs (BN's backward needs its input, LeakyReLU's its output): no copies.
  h = F::leaky_relu(net_->bn1->forward(net_->conv1->forward(upsample2(h))), kLeaky);
  h = F::leaky_relu(net_->bn2->forward(net_->conv2->forward(upsample2(h))), kLeaky);
  h = torch::tanh(net_->conv3->forward(h));
  return net_->bn_out->forward(h);
}

}  // namespace dfkd_conv_generator
