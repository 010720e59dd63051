// train.precision bf16 (engine/precision.hpp): autocast makes convolutions and linear layers
// compute in bfloat16 inside the scope only, nests, and leaves fp32 untouched when disabled.
#include "engine/precision.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "dfkd/errors.hpp"

namespace {

using dfkd::host::Bf16Autocast;

TEST(Precision, Bf16ScopeCastsConvolutionsAndRestoresFp32) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(1, 2, 3));
  torch::nn::Linear linear(4, 3);
  const auto x = torch::randn({2, 1, 5, 5});
  const auto v = torch::randn({2, 4});
  {
    const Bf16Autocast scope(true);
    EXPECT_EQ(conv->forward(x).scalar_type(), torch::kBFloat16);
    EXPECT_EQ(linear->forward(v).scalar_type(), torch::kBFloat16);
    {
      const Bf16Autocast inner(true);  // nests like Python's `with torch.autocast(...)`
      EXPECT_EQ(conv->forward(x).scalar_type(), torch::kBFloat16);
    }
    EXPECT_EQ(conv->forward(x).scalar_type(), torch::kBFloat16) << "the inner scope's end";
    // The weights stay fp32: autocast casts copies, the optimizer updates the originals.
    EXPECT_EQ(conv->weight.scalar_type(), torch::kFloat32);
  }
  EXPECT_EQ(conv->forward(x).scalar_type(), torch::kFloat32);
  {
    const Bf16Autocast off(false);
    EXPECT_EQ(conv->forward(x).scalar_type(), torch::kFloat32);
  }
}

// The scope spans optimizer steps: a forward after an update must see the updated weights, not a
// cached bf16 copy of the old ones (with autocast's cache on, the second forward below returns the
// first one's output).
TEST(Precision, Bf16ForwardsSeeWeightUpdatesWithinOneScope) {
  torch::nn::Linear linear(4, 3);
  const auto v = torch::randn({2, 4});
  const Bf16Autocast scope(true);
  const auto before = linear->forward(v).to(torch::kFloat32);
  {
    torch::NoGradGuard no_grad;
    linear->weight.add_(1.0);
  }
  const auto after = linear->forward(v).to(torch::kFloat32);
  EXPECT_FALSE(torch::allclose(before, after)) << "a stale bf16 copy of the weights was used";
}

TEST(Precision, Bf16GradientsReachTheFp32Weights) {
  torch::nn::Linear linear(4, 3);
  const auto v = torch::randn({8, 4});
  {
    const Bf16Autocast scope(true);
    linear->forward(v).abs().mean().backward();
  }
  ASSERT_TRUE(linear->weight.grad().defined());
  EXPECT_EQ(linear->weight.grad().scalar_type(), torch::kFloat32);
  EXPECT_GT(linear->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(Precision, OnlyFp32AndBf16AreKnown) {
  EXPECT_FALSE(dfkd::host::uses_bf16("fp32"));
  EXPECT_TRUE(dfkd::host::uses_bf16("bf16"));
  EXPECT_THROW(dfkd::host::uses_bf16("fp16"), dfkd::ConfigError);
}

}  // namespace
