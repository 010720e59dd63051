// Label subsets of the image datasets: per-class counts, stratified deterministic subsets, and the
// dataset options that ask for them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "label_subset.hpp"
#include "support/image_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace dfkd::test_support::image_fixtures;
using dfkd::test_support::TempDir;

// ------------------------------------------------------------------------------------------------
// Label subsets

TEST(ImageDataSubset, CountsPerClass) {
  // Largest remainder, ties to the lower class: sizes 10, 7, 5 at 0.5 -> quotas 5, 3.5, 2.5;
  // floors 5, 3, 2 (10), total round(11) = 11, the extra one to class 1.
  EXPECT_EQ(dfkd_image::subset_counts({10, 7, 5}, 0.5, 0, "t"), (std::vector<int64_t>{5, 4, 2}));
  EXPECT_EQ(dfkd_image::subset_counts({6000, 6000}, 0.1, 0, "t"), (std::vector<int64_t>{600, 600}));
  EXPECT_EQ(dfkd_image::subset_counts({100, 100, 100}, 0.29, 0, "t"),
            (std::vector<int64_t>{29, 29, 29}));
  EXPECT_EQ(dfkd_image::subset_counts({10, 7, 5}, 1.0, 3, "t"), (std::vector<int64_t>{3, 3, 3}));
  EXPECT_THROW(dfkd_image::subset_counts({10, 7, 5}, 1.0, 6, "t"), dfkd::ConfigError);
  EXPECT_THROW(dfkd_image::subset_counts({10, 7, 5}, 0.01, 0, "t"), dfkd::ConfigError);
}

TEST(ImageDataSubset, ExactStratifiedDeterministicAndNested) {
  // 1000 labels over 10 classes of sizes 55..145.
  std::vector<int64_t> ys;
  for (int64_t c = 0; c < 10; ++c)
    for (int64_t k = 0; k < 55 + 10 * c; ++k) ys.push_back(c);
  auto rng = dfkd::make_generator(0, "subset_test");
  auto y = torch::tensor(ys).index_select(0, torch::randperm(1000, rng, torch::kLong));

  const auto a = dfkd_image::stratified_subset(y, 10, 1.0, 20, 4, "t");
  EXPECT_EQ(class_counts(y.index_select(0, a), 10), std::vector<int64_t>(10, 20));
  EXPECT_TRUE(torch::equal(a, std::get<0>(torch::sort(a))));                // ascending
  EXPECT_EQ(std::get<0>(torch::unique_consecutive(a)).numel(), a.numel());  // no repeats
  EXPECT_TRUE(torch::equal(a, dfkd_image::stratified_subset(y, 10, 1.0, 20, 4, "t")));
  EXPECT_FALSE(torch::equal(a, dfkd_image::stratified_subset(y, 10, 1.0, 20, 5, "t")));

  const auto f = dfkd_image::stratified_subset(y, 10, 0.1, 0, 4, "t");
  EXPECT_EQ(f.numel(), 100);
  const auto h = class_counts(y.index_select(0, f), 10);
  for (int64_t c = 0; c < 10; ++c) {  // 5.5 + c: floor or one more
    EXPECT_GE(h[c], 5 + c);
    EXPECT_LE(h[c], 6 + c);
  }
  // Nested: for one seed the smaller subset is inside the larger one.
  const auto small = dfkd_image::stratified_subset(y, 10, 1.0, 10, 4, "t");
  EXPECT_TRUE(torch::isin(small, a).all().item<bool>());
  const auto bigger = dfkd_image::stratified_subset(y, 10, 0.3, 0, 4, "t");
  EXPECT_TRUE(torch::isin(f, bigger).all().item<bool>());
  // Everything: no index tensor.
  EXPECT_FALSE(dfkd_image::stratified_subset(y, 10, 1.0, 0, 4, "t").defined());
}

TEST(ImageDataSubset, DatasetOptions) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);  // 5 training images per class, 10 test images
  const auto full = load_idx(dir.path());
  const auto two = load_idx(dir.path(), {{"train_per_class", 2}, {"subset_seed", 3}});
  EXPECT_EQ(two.train().x.size(0), 20);
  EXPECT_EQ(class_counts(two.train().y, 10), std::vector<int64_t>(10, 2));
  EXPECT_TRUE(torch::equal(two.test().x, full.test().x));  // test split untouched
  EXPECT_TRUE(torch::equal(two.test().y, full.test().y));
  // The kept images are the full split's rows with the same labels.
  const auto again = load_idx(dir.path(), {{"train_per_class", 2}, {"subset_seed", 3}});
  EXPECT_TRUE(torch::equal(two.train().x, again.train().x));
  int64_t matched = 0;
  for (int64_t i = 0; i < two.train().x.size(0); ++i)
    for (int64_t j = 0; j < kTrainN; ++j)
      if (torch::equal(two.train().x[i], full.train().x[j])) {
        EXPECT_EQ(two.train().y[i].item<int64_t>(), full.train().y[j].item<int64_t>());
        ++matched;
      }
  EXPECT_EQ(matched, 20);

  const auto frac = load_idx(dir.path(), {{"train_fraction", 0.4}});
  EXPECT_EQ(class_counts(frac.train().y, 10), std::vector<int64_t>(10, 2));

  TempDir cifar;
  write_cifar100_fixture(cifar.path());  // coarse: 2 per class
  const auto c = load_cifar(dfkd_image::cifar100_spec(), cifar.path(),
                            {{"labels", "coarse"}, {"train_per_class", 1}});
  EXPECT_EQ(class_counts(c.train().y, 20), std::vector<int64_t>(20, 1));
  EXPECT_EQ(c.test().x.size(0), 5);

  EXPECT_THROW(load_idx(dir.path(), {{"train_per_class", 6}}), dfkd::ConfigError);
  EXPECT_THROW(load_idx(dir.path(), {{"train_fraction", 0.0}}), dfkd::ConfigError);
  EXPECT_THROW(load_idx(dir.path(), {{"train_fraction", 1.5}}), dfkd::ConfigError);
  EXPECT_THROW(load_idx(dir.path(), {{"train_per_class", -1}}), dfkd::ConfigError);
  EXPECT_THROW(load_idx(dir.path(), {{"train_fraction", 0.5}, {"train_per_class", 2}}),
               dfkd::ConfigError);
}
