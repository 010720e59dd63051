// L1 filter masks against values worked by hand: filter L1 norms [3, 1, 4, 2] (rows of the
// weight below), the largest kept, ties to the lower index; biases follow their filters.
#include <gtest/gtest.h>

#include "filter_masks.hpp"

namespace {

using dfkd::filter_pruning::filter_mask;
using dfkd::filter_pruning::l1_filter_masks;

/// 4 filters of shape [1, 1, 2]: L1 norms 3, 1, 4, 2.
torch::Tensor four_filters() {
  return torch::tensor({1.0f, -2.0f, 0.5f, 0.5f, -4.0f, 0.0f, 1.0f, 1.0f}).view({4, 1, 1, 2});
}

std::vector<float> kept_filters(const torch::Tensor& mask) {
  const auto rows = mask.select(3, 0).select(2, 0).select(1, 0).contiguous();
  return {rows.data_ptr<float>(), rows.data_ptr<float>() + rows.numel()};
}

TEST(L1FilterMasks, KeepsTheFiltersOfLargestL1Norm) {
  EXPECT_EQ(kept_filters(filter_mask(four_filters(), 0.5)), (std::vector<float>{1, 0, 1, 0}));
  // int(4 · 0.75) = 3 kept: all but the norm-1 filter.
  EXPECT_EQ(kept_filters(filter_mask(four_filters(), 0.25)), (std::vector<float>{1, 0, 1, 1}));
  // int(4 · 0.1) = 0, but one filter always stays: the norm-4 one.
  EXPECT_EQ(kept_filters(filter_mask(four_filters(), 0.9)), (std::vector<float>{0, 0, 1, 0}));
  // The mask covers every weight of a filter.
  const auto m = filter_mask(four_filters(), 0.5);
  EXPECT_TRUE(m.sizes().equals(four_filters().sizes()));
  EXPECT_EQ(m.sum().item<float>(), 4.0f);
}

TEST(L1FilterMasks, TiesKeepTheLowerIndex) {
  const auto w = torch::tensor({1.0f, 1.0f, -1.0f, 1.0f, 2.0f, 0.0f}).view({3, 1, 1, 2});
  // Norms 2, 2, 2; int(3 · 0.5) = 1 kept: filter 0.
  EXPECT_EQ(kept_filters(filter_mask(w, 0.5)), (std::vector<float>{1, 0, 0}));
}

TEST(L1FilterMasks, ConvolutionsAndTheirBiasesOnlyAndApplyZeroesThem) {
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, {1, 2})),
                            torch::nn::Flatten(), torch::nn::Linear(4, 2));
  {
    torch::NoGradGuard no_grad;
    net->named_parameters()["0.weight"].copy_(four_filters());
    net->named_parameters()["0.bias"].copy_(torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}));
  }
  const auto masks = l1_filter_masks(*net, 0.5);
  ASSERT_EQ(masks.size(), 2u);  // the convolution's weight and bias; the linear layer is left
  EXPECT_EQ(kept_filters(masks.at("0.weight")), (std::vector<float>{1, 0, 1, 0}));
  const auto bias = masks.at("0.bias");
  EXPECT_TRUE(torch::equal(bias, torch::tensor({1.0f, 0.0f, 1.0f, 0.0f})));

  const int64_t total = 8 + 4 + 4 * 2 + 2;
  // Read from the weights: before the masks are applied, nothing is zero yet.
  EXPECT_EQ(dfkd::effective_parameters(*net, masks), total - 1);  // one weight is 0.0 already
  dfkd::apply_masks(*net, masks);
  EXPECT_EQ(dfkd::effective_parameters(*net, masks), total - 4 - 2 - 1);
  const auto params = net->named_parameters();
  EXPECT_TRUE(torch::equal(params["0.bias"], torch::tensor({1.0f, 0.0f, 3.0f, 0.0f})));
  EXPECT_EQ(params["0.weight"].abs().sum().item<float>(), 3.0f + 4.0f);

  dfkd::PruningMasks wrong{{"0.weight", torch::ones({2, 2})}};
  EXPECT_THROW(dfkd::apply_masks(*net, wrong), std::invalid_argument);
  dfkd::PruningMasks missing{{"9.weight", torch::ones({1})}};
  EXPECT_THROW(dfkd::apply_masks(*net, missing), std::invalid_argument);
}

}  // namespace
