// Global magnitude masks against values worked by hand (|w| listed below): the smallest
// floor(total · fraction) weights over all chosen parameters together are pruned.
#include <gtest/gtest.h>

#include "magnitude_masks.hpp"

namespace {

using dfkd::magnitude_pruning::global_magnitude_masks;

/// conv "0": [0.1, -0.5, 0.3, 2.0]; conv "1": [-0.2, 0.05]; linear "3": [0.01, 1, 1, 1].
torch::nn::Sequential small_net() {
  namespace nn = torch::nn;
  nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, 1, {1, 4}).bias(false)),
                     nn::Conv2d(nn::Conv2dOptions(1, 1, {1, 2}).bias(false)), nn::Flatten(),
                     nn::Linear(nn::LinearOptions(2, 2).bias(false)));
  torch::NoGradGuard no_grad;
  auto p = net->named_parameters();
  p["0.weight"].copy_(torch::tensor({0.1f, -0.5f, 0.3f, 2.0f}).view({1, 1, 1, 4}));
  p["1.weight"].copy_(torch::tensor({-0.2f, 0.05f}).view({1, 1, 1, 2}));
  p["3.weight"].copy_(torch::tensor({0.01f, 1.0f, 1.0f, 1.0f}).view({2, 2}));
  return net;
}

torch::Tensor flat(const torch::Tensor& t) {
  return t.flatten();
}

TEST(GlobalMagnitudeMasks, OneThresholdOverEveryConvolution) {
  auto net = small_net();
  // 6 conv weights, 3 pruned: 0.05, 0.1, 0.2.
  const auto masks = global_magnitude_masks(*net, 0.5, false);
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_TRUE(torch::equal(flat(masks.at("0.weight")), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f})));
  EXPECT_TRUE(torch::equal(flat(masks.at("1.weight")), torch::tensor({0.0f, 0.0f})));
  dfkd::apply_masks(*net, masks);
  EXPECT_EQ(dfkd::effective_parameters(*net, masks), 10 - 3);
}

TEST(GlobalMagnitudeMasks, LinearWeightsJoinWhenAsked) {
  auto net = small_net();
  // 10 weights, 5 pruned: 0.01, 0.05, 0.1, 0.2, 0.3.
  const auto masks = global_magnitude_masks(*net, 0.5, true);
  ASSERT_EQ(masks.size(), 3u);
  EXPECT_TRUE(torch::equal(flat(masks.at("0.weight")), torch::tensor({0.0f, 1.0f, 0.0f, 1.0f})));
  EXPECT_TRUE(torch::equal(flat(masks.at("1.weight")), torch::tensor({0.0f, 0.0f})));
  EXPECT_TRUE(torch::equal(flat(masks.at("3.weight")), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f})));
}

TEST(GlobalMagnitudeMasks, TiesPruneTheEarlierParameterFirst) {
  auto net = small_net();
  {
    torch::NoGradGuard no_grad;
    auto p = net->named_parameters();
    p["0.weight"].copy_(torch::tensor({0.5f, 1.0f, 1.0f, 1.0f}).view({1, 1, 1, 4}));
    p["1.weight"].copy_(torch::tensor({0.5f, 1.0f}).view({1, 1, 1, 2}));
  }
  // floor(6 · 0.2) = 1 pruned: of the two 0.5s, conv 0's.
  const auto masks = global_magnitude_masks(*net, 0.2, false);
  EXPECT_TRUE(torch::equal(flat(masks.at("0.weight")), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f})));
  EXPECT_TRUE(torch::equal(flat(masks.at("1.weight")), torch::tensor({1.0f, 1.0f})));
}

}  // namespace
