// The paper's networks: lenet5 (LeNet-5 / LeNet-5-half), resnet (CIFAR ResNet-18/34) and
// conv_generator (DFAD's GeneratorA), built directly from their maths libraries.
//
// Cost checks are made three ways: against the numbers the papers print (docs/methods.md §1 and its
// sources, DFAD Table 2, paper Table 1), against exact MACs / parameter counts derived by hand from
// the layer shapes (derivations above each constant), and against a count taken from an actual
// forward pass: the autograd graph it records is walked, and every node that multiplies by a weight
// of rank >= 2 (a convolution, or a Linear through its transpose) adds weight.numel() x its output
// positions per image. Parameter counts are also compared with the sum of parameter numels.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <dfkd/errors.hpp>
#include <dfkd/options.hpp>
#include <dfkd/pruner.hpp>
#include <dfkd/random.hpp>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "conv_generator_net.hpp"
#include "lenet5_net.hpp"
#include "resnet_net.hpp"

namespace {

using Sizes = std::vector<int64_t>;

template <class Plugin>
dfkd::Options options_of(const nlohmann::json& given) {
  return dfkd::Options("test", dfkd::resolve_options(Plugin::info().options, given, "test"));
}

std::unique_ptr<dfkd_lenet5::LeNet5> lenet(double width, int64_t classes = 10) {
  return std::make_unique<dfkd_lenet5::LeNet5>(options_of<dfkd_lenet5::LeNet5>({{"width", width}}),
                                               dfkd::DataShape{{1, 32, 32}, classes});
}

std::unique_ptr<dfkd_resnet::ResNet> resnet(int64_t depth, int64_t classes = 10,
                                            const std::string& init = "kaiming") {
  return std::make_unique<dfkd_resnet::ResNet>(
      options_of<dfkd_resnet::ResNet>({{"depth", depth}, {"init", init}}),
      dfkd::DataShape{{3, 32, 32}, classes});
}

std::unique_ptr<dfkd_conv_generator::ConvGenerator> generator(const nlohmann::json& options,
                                                              Sizes image) {
  return std::make_unique<dfkd_conv_generator::ConvGenerator>(
      options_of<dfkd_conv_generator::ConvGenerator>(options), dfkd::DataShape{image, 10});
}

torch::Tensor randn(Sizes sizes, uint64_t seed = 1) {
  auto rng = dfkd::make_generator(seed, "networks_test");
  return torch::randn(sizes, rng);
}

int64_t parameter_numel(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

/// MACs per image counted from the autograd graph of `out` (a forward of `m` on ONE image) by the
/// SDK's macs_per_weight, which pruned runs use for their effective MACs; it throws when the
/// forward leaves out a weight.
int64_t graph_macs(torch::nn::Module& m, const torch::Tensor& out) {
  int64_t macs = 0;
  const auto params = m.named_parameters();
  for (const auto& [name, uses] : dfkd::macs_per_weight(m, out))
    macs += params[name].numel() * uses;
  return macs;
}

void expect_graph_count(dfkd::Model& model, Sizes input, int64_t expected_macs) {
  model.module().eval();
  const auto out = model.forward(randn(input)).logits;
  EXPECT_EQ(graph_macs(model.module(), out), expected_macs);
  // The SDK's entry point for a model: a zero sample, eval mode, training mode restored.
  model.module().train();
  const auto uses = dfkd::macs_per_weight(model, Sizes(input.begin() + 1, input.end()));
  EXPECT_TRUE(model.module().is_training());
  int64_t macs = 0;
  for (const auto& p : model.module().named_parameters())
    if (uses.count(p.key())) macs += p.value().numel() * uses.at(p.key());
  EXPECT_EQ(macs, expected_macs);
}

void expect_shapes(dfkd::Model& model, const Sizes& input, int64_t classes,
                   const std::map<std::string, Sizes>& taps) {
  std::vector<std::string> expected_names;
  for (const auto& [name, sizes] : taps) expected_names.push_back(name);
  auto listed = model.taps();
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, expected_names);
  model.module().train();
  const dfkd::ModelOutput out = model.forward(randn(input));
  EXPECT_EQ(out.logits.sizes(), (Sizes{input[0], classes}));
  EXPECT_TRUE(torch::isfinite(out.logits).all().item<bool>());
  EXPECT_EQ(out.features.size(), taps.size());
  for (const auto& [name, sizes] : taps) {
    SCOPED_TRACE("tap " + name);
    ASSERT_EQ(out.features.count(name), 1u);
    EXPECT_EQ(out.feature(name).sizes(), sizes);
  }
}

void expect_finite_gradients(dfkd::Model& model, const Sizes& input, int64_t classes) {
  model.module().train();
  const auto out = model.forward(randn(input));
  auto rng = dfkd::make_generator(2, "networks_test_labels");
  const auto y = torch::randint(classes, {input[0]}, rng, torch::kLong);
  torch::nn::functional::cross_entropy(out.logits, y).backward();
  for (const auto& p : model.module().named_parameters()) {
    SCOPED_TRACE(p.key());
    ASSERT_TRUE(p.value().grad().defined()) << "no gradient";
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>());
  }
}

// ==== LeNet-5 ====

TEST(LeNet5, WidthsRoundTheChannelCounts) {
  const auto full = dfkd_lenet5::lenet5_widths(1.0);
  EXPECT_EQ((Sizes{full.conv1, full.conv2, full.conv3, full.fc1}), (Sizes{6, 16, 120, 84}));
  const auto half = dfkd_lenet5::lenet5_widths(0.5);
  EXPECT_EQ((Sizes{half.conv1, half.conv2, half.conv3, half.fc1}), (Sizes{3, 8, 60, 42}));
  EXPECT_THROW(dfkd_lenet5::lenet5_widths(0.05), dfkd::ConfigError);
  EXPECT_THROW(dfkd_lenet5::lenet5_widths(0.0), dfkd::ConfigError);
}

TEST(LeNet5, OutputAndTapShapes) {
  expect_shapes(*lenet(1.0), {2, 1, 32, 32}, 10,
                {{"conv1", {2, 6, 14, 14}},
                 {"conv2", {2, 16, 5, 5}},
                 {"conv3", {2, 120, 1, 1}},
                 {"features", {2, 120}},
                 {"fc1", {2, 84}}});
  expect_shapes(*lenet(0.5), {2, 1, 32, 32}, 10,
                {{"conv1", {2, 3, 14, 14}},
                 {"conv2", {2, 8, 5, 5}},
                 {"conv3", {2, 60, 1, 1}},
                 {"features", {2, 60}},
                 {"fc1", {2, 42}}});
}

TEST(LeNet5, FeaturesArePostReluAndLogitsFollowFromThem) {
  auto model = lenet(1.0);
  model->module().eval();
  const auto out = model->forward(randn({3, 1, 32, 32}));
  EXPECT_GE(out.feature("features").min().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(out.feature("features"), out.feature("conv3").flatten(1)));
  auto& net = model->net();
  EXPECT_TRUE(torch::allclose(
      out.logits, net.fc2->forward(torch::relu(net.fc1->forward(out.feature("features"))))));
}

TEST(LeNet5, GradientsAreFinite) {
  expect_finite_gradients(*lenet(1.0), {2, 1, 32, 32}, 10);
  expect_finite_gradients(*lenet(0.5), {2, 1, 32, 32}, 10);
}

TEST(LeNet5, RejectsNon32x32Inputs) {
  const auto o = options_of<dfkd_lenet5::LeNet5>({});
  for (const Sizes& bad : {Sizes{2}, Sizes{1, 28, 28}, Sizes{32, 32}}) {
    try {
      dfkd_lenet5::LeNet5 m(o, dfkd::DataShape{bad, 10});
      ADD_FAILURE() << "accepted an input of rank " << bad.size();
    } catch (const dfkd::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("Cx32x32"), std::string::npos) << e.what();
    }
  }
}

// LeNet-5, 1x32x32 input, no padding (convs: Cout*Cin*25*Hout*Wout; linear in*out):
//   conv1 6*1*25*28*28 = 117600, conv2 16*6*25*10*10 = 240000, conv3 120*16*25*1*1 = 48000,
//   fc1 120*84 = 10080, fc2 84*10 = 840                        -> 416520 MACs
//   params: 6*25+6=156, 16*6*25+16=2416, 120*16*25+120=48120, 120*84+84=10164, 84*10+10=850
//                                                              -> 61706
// LeNet-5-half: conv1 3*25*784 = 58800, conv2 8*3*25*100 = 60000, conv3 60*8*25 = 12000,
//   fc1 60*42 = 2520, fc2 42*10 = 420                          -> 133740 MACs
//   params: 78 + 608 + 12060 + 2562 + 430                      -> 15738
// 100 classes: fc2 84*100 = 8400 MACs, 8500 params (teacher 424080 MACs, 69356 params).
TEST(LeNet5, CostMatchesThePaper) {
  auto full = lenet(1.0);
  auto half = lenet(0.5);
  EXPECT_EQ(full->cost().macs, 416520);
  EXPECT_EQ(full->cost().parameters, 61706);
  EXPECT_EQ(half->cost().macs, 133740);
  EXPECT_EQ(half->cost().parameters, 15738);
  EXPECT_EQ(lenet(1.0, 100)->cost().macs, 424080);
  EXPECT_EQ(lenet(1.0, 100)->cost().parameters, 69356);
  // docs/methods.md §1 and its sources: ~0.417 M and ~0.134 M MACs; paper Table 1 prints 433K and
  // 139K "FLOPs" (within 4%: those counts include biases / activations).
  EXPECT_NEAR(full->cost().macs / 1e6, 0.417, 0.001);
  EXPECT_NEAR(half->cost().macs / 1e6, 0.134, 0.001);
  EXPECT_NEAR(full->cost().macs / 433e3, 1.0, 0.04);
  EXPECT_NEAR(half->cost().macs / 139e3, 1.0, 0.04);
  // ... and what an actual forward multiplies.
  EXPECT_EQ(full->cost().parameters, parameter_numel(full->module()));
  EXPECT_EQ(half->cost().parameters, parameter_numel(half->module()));
  expect_graph_count(*full, {1, 1, 32, 32}, full->cost().macs);
  expect_graph_count(*half, {1, 1, 32, 32}, half->cost().macs);
}

// ==== ResNet ====

std::map<std::string, Sizes> resnet_taps(int64_t b) {
  return {{"stem", {b, 64, 32, 32}},  {"layer1", {b, 64, 32, 32}}, {"layer2", {b, 128, 16, 16}},
          {"layer3", {b, 256, 8, 8}}, {"layer4", {b, 512, 4, 4}},  {"features", {b, 512}}};
}

TEST(ResNet, OutputAndTapShapes) {
  for (int64_t depth : {18, 34})
    for (int64_t classes : {10, 100}) {
      SCOPED_TRACE("ResNet-" + std::to_string(depth) + ", " + std::to_string(classes) + " classes");
      expect_shapes(*resnet(depth, classes), {2, 3, 32, 32}, classes, resnet_taps(2));
    }
}

TEST(ResNet, BlockLayoutAndShortcuts) {
  auto r18 = resnet(18);
  auto r34 = resnet(34);
  ASSERT_EQ(r18->net().layers.size(), 4u);
  Sizes n18, n34;
  for (auto& l : r18->net().layers) n18.push_back(static_cast<int64_t>(l->size()));
  for (auto& l : r34->net().layers) n34.push_back(static_cast<int64_t>(l->size()));
  EXPECT_EQ(n18, (Sizes{2, 2, 2, 2}));
  EXPECT_EQ(n34, (Sizes{3, 4, 6, 3}));
  // A 1x1 conv + BN shortcut exactly where the shape changes: the first block of layer2..4.
  for (size_t s = 0; s < 4; ++s)
    for (size_t b = 0; b < r34->net().layers[s]->size(); ++b) {
      auto block = r34->net().layers[s]->ptr<dfkd_resnet::BasicBlockImpl>(b);
      EXPECT_EQ(static_cast<bool>(block->shortcut), s > 0 && b == 0)
          << "layer" << s + 1 << "." << b;
    }
  // Convs have no bias; the stem is stride 1.
  for (const auto& p : r18->module().named_parameters())
    if (p.key().find("conv") != std::string::npos) EXPECT_EQ(p.value().dim(), 4) << p.key();
  EXPECT_EQ(r18->net().conv1->options.stride()->at(0), 1);
}

TEST(ResNet, FeaturesAreThePooledLayer4) {
  auto model = resnet(18);
  model->module().eval();
  const auto out = model->forward(randn({2, 3, 32, 32}));
  EXPECT_TRUE(
      torch::allclose(out.feature("features"), out.feature("layer4").mean({2, 3}), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.logits, model->net().linear->forward(out.feature("features"))));
  for (const char* tap : {"stem", "layer1", "layer2", "layer3", "layer4"})
    EXPECT_GE(out.feature(tap).min().item<float>(), 0.0f) << tap << " is post-ReLU";
}

TEST(ResNet, GradientsAreFiniteOnEveryParameter) {
  for (int64_t depth : {18, 34}) {
    SCOPED_TRACE("ResNet-" + std::to_string(depth));
    expect_finite_gradients(*resnet(depth), {2, 3, 32, 32}, 10);
  }
}

TEST(ResNet, InitOption) {
  // The last 3x3 conv of layer4 (512 -> 512): fan_in = fan_out = 512*9 = 4608.
  // kaiming (DFAD): normal, std sqrt(2 / fan_out) = 0.02083; BN weight 1, bias 0.
  // default (DAFL, PyTorch): kaiming_uniform(a = sqrt 5), bound 1/sqrt(fan_in), std 0.008505.
  auto weight_std = [](dfkd_resnet::ResNet& m) {
    auto block = m.net().layers[3]->ptr<dfkd_resnet::BasicBlockImpl>(1);
    return block->conv2->weight.std().item<double>();
  };
  auto kaiming = resnet(18, 10, "kaiming");
  auto plain = resnet(18, 10, "default");
  EXPECT_NEAR(weight_std(*kaiming), std::sqrt(2.0 / 4608), 0.001);
  EXPECT_NEAR(weight_std(*plain), 1.0 / std::sqrt(3.0 * 4608), 0.0005);
  for (auto& m : kaiming->module().modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      EXPECT_TRUE(torch::all(bn->weight == 1).item<bool>());
      EXPECT_TRUE(torch::all(bn->bias == 0).item<bool>());
    }
}

TEST(ResNet, DepthOtherThan18Or34IsRejectedNamingTheOption) {
  try {
    resnet(50);
    FAIL() << "depth 50 was accepted";
  } catch (const dfkd::ConfigError& e) {
    const std::string m = e.what();
    for (const char* part : {"depth", "18", "34", "50"})  // the declared range [18, 34] refuses it
      EXPECT_NE(m.find(part), std::string::npos) << "'" << part << "' missing from: " << m;
  }
  try {
    resnet(20);  // inside the range: the plugin itself refuses it
    FAIL() << "depth 20 was accepted";
  } catch (const dfkd::ConfigError& e) {
    const std::string m = e.what();
    for (const char* part : {"option depth", "18", "34", "20"})
      EXPECT_NE(m.find(part), std::string::npos) << "'" << part << "' missing from: " << m;
  }
  EXPECT_THROW(dfkd_resnet::ResNet(options_of<dfkd_resnet::ResNet>({}), dfkd::DataShape{{2}, 2}),
               dfkd::ConfigError);
}

// CIFAR ResNet on 3x32x32 (convs Cout*Cin*k^2*Hout*Wout, no bias; linear 512*K):
//   stem 64*3*9*1024 = 1769472
//   BasicBlock(in, p, s) at output HxW: 9*p*in*H*W + 9*p*p*H*W (+ p*in*H*W if shortcut)
//   layer1 (32x32): each block 2*9*64*64*1024 = 75497472
//   layer2 (16x16): first 9*128*64*256 + 9*128*128*256 + 128*64*256 = 18874368+37748736+2097152
//                   = 58720256; others 2*9*128*128*256 = 75497472
//   layer3 (8x8):   first 9*256*128*64 + 9*256*256*64 + 256*128*64 = 58720256; others 75497472
//   layer4 (4x4):   first 9*512*256*16 + 9*512*512*16 + 512*256*16 = 58720256; others 75497472
//   (every block after the first of each stage costs 75497472; every first block of
//    layer2..4 58720256)
//   ResNet-18 [2,2,2,2]: 1769472 + 2*75497472 + 3*(58720256 + 75497472) + 512*10
//                        = 555422720 (+ 46080 for 100 classes: 555468800)
//   ResNet-34 [3,4,6,3]: 1769472 + 3*75497472 + 3*58720256 + (3+5+2)*75497472 + 5120
//                        = 1159402496 (100 classes: 1159448576)
//   Params: conv weights (as MACs / H*W) + BN 2 per channel + linear 512*K + K:
//   ResNet-18 11173962 (100 classes 11220132), ResNet-34 21282122 (100 classes 21328292).
TEST(ResNet, CostMatchesThePaper) {
  auto r18 = resnet(18);
  auto r34 = resnet(34);
  EXPECT_EQ(r18->cost().macs, 555422720);
  EXPECT_EQ(r18->cost().parameters, 11173962);
  EXPECT_EQ(r34->cost().macs, 1159402496);
  EXPECT_EQ(r34->cost().parameters, 21282122);
  EXPECT_EQ(resnet(18, 100)->cost().macs, 555468800);
  EXPECT_EQ(resnet(18, 100)->cost().parameters, 11220132);
  EXPECT_EQ(resnet(34, 100)->cost().macs, 1159448576);
  EXPECT_EQ(resnet(34, 100)->cost().parameters, 21328292);
  // DFAD Table 2 / paper Table 1: 1.16 G and 557 M "FLOPs" (= MACs), 21 M and 11 M params.
  EXPECT_NEAR(r34->cost().macs / 1.16e9, 1.0, 0.005);
  EXPECT_NEAR(r18->cost().macs / 557e6, 1.0, 0.005);
  EXPECT_NEAR(r34->cost().parameters / 21.3e6, 1.0, 0.01);
  EXPECT_NEAR(r18->cost().parameters / 11.2e6, 1.0, 0.01);
  // ... and what an actual forward multiplies.
  EXPECT_EQ(r18->cost().parameters, parameter_numel(r18->module()));
  EXPECT_EQ(r34->cost().parameters, parameter_numel(r34->module()));
  expect_graph_count(*r18, {1, 3, 32, 32}, r18->cost().macs);
  expect_graph_count(*r34, {1, 3, 32, 32}, r34->cost().macs);
}

// ==== GeneratorA ====

TEST(ConvGenerator, OutputIsAStandardisedBatchOfImages) {
  for (const Sizes& image : {Sizes{1, 32, 32}, Sizes{3, 32, 32}}) {
    SCOPED_TRACE("C = " + std::to_string(image[0]));
    auto g = generator({{"ngf", 16}}, image);
    EXPECT_EQ(g->latent_dim(), 100);
    g->module().train();
    auto rng = dfkd::make_generator(3, "networks_test_z");
    const auto x = g->forward(dfkd::sample_latent(*g, 16, rng, torch::kCPU));
    EXPECT_EQ(x.sizes(), (Sizes{16, image[0], 32, 32}));
    // The last BN (affine=false, train mode) standardises each channel over the batch:
    // mean 0, biased variance v/(v+1e-5) ~ 1.
    const auto mean = x.mean({0, 2, 3});
    const auto var = x.var({0, 2, 3}, /*unbiased=*/false);
    EXPECT_TRUE(torch::allclose(mean, torch::zeros_like(mean), 0, 1e-4)) << mean;
    EXPECT_TRUE(torch::allclose(var, torch::ones_like(var), 0, 1e-2)) << var;
  }
}

TEST(ConvGenerator, AcceptsFourDimensionalLatents) {
  auto g = generator({{"ngf", 8}, {"nz", 10}}, {1, 16, 16});
  g->module().eval();
  const auto z = randn({2, 10});
  EXPECT_TRUE(torch::equal(g->forward(z), g->forward(z.view({2, 10, 1, 1}))));
  EXPECT_EQ(g->forward(z).sizes(), (Sizes{2, 1, 16, 16}));
}

TEST(ConvGenerator, BnEpsReachesTheTwoInnerBatchNorms) {
  auto dafl = generator({{"bn_eps", 0.8}}, {1, 32, 32});
  auto& n = dafl->net();
  EXPECT_DOUBLE_EQ(n.bn1->options.eps(), 0.8);
  EXPECT_DOUBLE_EQ(n.bn2->options.eps(), 0.8);
  EXPECT_DOUBLE_EQ(n.bn0->options.eps(), 1e-5);
  EXPECT_DOUBLE_EQ(n.bn_out->options.eps(), 1e-5);
  EXPECT_FALSE(n.bn_out->options.affine());
  EXPECT_DOUBLE_EQ(generator({}, {1, 32, 32})->net().bn1->options.eps(), 1e-5);
  // And it is what the forward uses: in eval mode with fresh running stats (mean 0, var 1) bn1
  // computes y / sqrt(1 + eps).
  n.eval();
  const auto y = torch::randn({2, 128, 4, 4});
  EXPECT_TRUE(torch::allclose(n.bn1->forward(y), y / std::sqrt(1.8)));
}

TEST(ConvGenerator, RejectsShapesItCannotGenerate) {
  for (const Sizes& bad : {Sizes{2}, Sizes{1, 30, 30}, Sizes{1, 32, 16}}) {
    EXPECT_THROW(generator({}, bad), dfkd::ConfigError);
  }
  EXPECT_THROW(generator({{"nz", 0}}, {1, 32, 32}), dfkd::ConfigError);
  EXPECT_THROW(generator({{"bn_eps", 0.0}}, {1, 32, 32}), dfkd::ConfigError);
}

// GeneratorA MACs per image at S = 32 (init 8): Linear nz*2ngf*64, conv1 2ngf*2ngf*9*16*16,
// conv2 ngf*2ngf*9*32*32, conv3 nc*ngf*9*32*32.
//   nz 100, nc 1, ngf 64: 819200 + 37748736 + 75497472 + 589824   = 114655232  (114.7 M, DFAD's
//   GeneratorA) nz 100, nc 1, ngf 32: 409600 + 9437184 + 18874368 + 294912    = 29016064   (29.0 M)
//   nz 100, nc 1, ngf 16: 204800 + 2359296 + 4718592 + 147456     = 7430144    (7.4 M)
//   nz 256, nc 3, ngf 64: 2097152 + 37748736 + 75497472 + 1769472 = 117112832  (~117 M)
TEST(ConvGenerator, MacsMatchMethodsMd) {
  using dfkd_conv_generator::conv_generator_macs;
  EXPECT_EQ(conv_generator_macs(100, 64, 1, 32), 114655232);
  EXPECT_EQ(conv_generator_macs(100, 32, 1, 32), 29016064);
  EXPECT_EQ(conv_generator_macs(100, 16, 1, 32), 7430144);
  EXPECT_EQ(conv_generator_macs(256, 64, 3, 32), 117112832);
  EXPECT_NEAR(conv_generator_macs(100, 64, 1, 32) / 1e6, 114.7, 0.05);
  EXPECT_NEAR(conv_generator_macs(100, 16, 1, 32) / 1e6, 7.4, 0.05);
  EXPECT_NEAR(conv_generator_macs(256, 64, 3, 32) / 1e6, 117.0, 0.5);
  for (const auto& [nz, ngf, nc] : {std::tuple<int64_t, int64_t, int64_t>{100, 16, 1},
                                    std::tuple<int64_t, int64_t, int64_t>{256, 64, 3}}) {
    auto g = generator({{"nz", nz}, {"ngf", ngf}}, {nc, 32, 32});
    EXPECT_EQ(g->macs(), conv_generator_macs(nz, ngf, nc, 32));
    g->module().eval();
    EXPECT_EQ(graph_macs(g->module(), g->forward(randn({1, nz}))), g->macs())
        << "nz " << nz << " ngf " << ngf << " nc " << nc;
  }
}

}  // namespace
