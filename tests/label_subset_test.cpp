// Label subsets of the image datasets: per-class counts, stratified deterministic subsets, the
// validation hold-out, and the dataset options that ask for them.
#include <gtest/gtest.h>

#include <algorithm>
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

// ------------------------------------------------------------------------------------------------
// Validation hold-out

TEST(ImageDataValidation, HoldoutCountsPerClass) {
  // n * n_c / N floored, the rest to the largest remainders, ties to the lower class:
  // sizes 5, 3, 2 and n 5 -> 2.5, 1.5, 1.0 -> floors 2, 1, 1 (4); the extra one to class 0.
  EXPECT_EQ(dfkd_image::holdout_counts({5, 3, 2}, 5, "t"), (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(dfkd_image::holdout_counts({5, 3, 2}, 0, "t"), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(dfkd_image::holdout_counts({6000, 6000, 3000}, 5000, "t"),
            (std::vector<int64_t>{2000, 2000, 1000}));
  // MNIST's training classes, 5,000 held out: quotas 493.58, 561.83, 496.50, 510.92, 486.83,
  // 451.75, 493.17, 522.08, 487.58, 495.75; floors sum to 4,994, the 6 extra go to classes 3, 1,
  // 4, 5, 9 and 0 (0 and 8 tie at .58: the lower class).
  const std::vector<int64_t> mnist = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
  EXPECT_EQ(dfkd_image::holdout_counts(mnist, 5000, "t"),
            (std::vector<int64_t>{494, 562, 496, 511, 487, 452, 493, 522, 487, 496}));
  const auto negative = dfkd::test_support::thrown_message<dfkd::ConfigError>(
      [] {
        dfkd_image::holdout_counts({5, 3, 2}, -1, "mnist");
      },
      "ConfigError");
  EXPECT_HAS(negative, "mnist: option validation_size: expected an integer in [0, 9]");
  EXPECT_HAS(negative, "found -1");
  const auto all = dfkd::test_support::thrown_message<dfkd::ConfigError>(
      [] {
        dfkd_image::holdout_counts({5, 3, 2}, 10, "mnist");
      },
      "ConfigError");
  EXPECT_HAS(all, "the training split has 10 samples and at least one must stay");
  EXPECT_THROW(dfkd_image::holdout_counts({5, 3, 2}, 11, "t"), dfkd::ConfigError);
}

TEST(ImageDataValidation, StratifiedDisjointDeterministic) {
  std::vector<int64_t> ys;
  for (int64_t c = 0; c < 10; ++c)
    for (int64_t k = 0; k < 55 + 10 * c; ++k) ys.push_back(c);
  auto rng = dfkd::make_generator(0, "holdout_test");
  auto y = torch::tensor(ys).index_select(0, torch::randperm(1000, rng, torch::kLong));

  const auto h = dfkd_image::stratified_holdout(y, 10, 100, 7, "t");
  std::vector<int64_t> sizes;
  for (int64_t c = 0; c < 10; ++c) sizes.push_back(55 + 10 * c);
  EXPECT_EQ(class_counts(y.index_select(0, h.held), 10),
            dfkd_image::holdout_counts(sizes, 100, "t"));
  EXPECT_EQ(h.held.numel() + h.rest.numel(), 1000);
  EXPECT_FALSE(torch::isin(h.held, h.rest).any().item<bool>());  // disjoint, so together all
  EXPECT_TRUE(torch::equal(h.held, std::get<0>(torch::sort(h.held))));
  EXPECT_TRUE(torch::equal(h.rest, std::get<0>(torch::sort(h.rest))));
  const auto again = dfkd_image::stratified_holdout(y, 10, 100, 7, "t");
  EXPECT_TRUE(torch::equal(h.held, again.held));
  EXPECT_FALSE(torch::equal(h.held, dfkd_image::stratified_holdout(y, 10, 100, 8, "t").held));
}

/// Index of the row of `all` equal to `x` (-1 when none).
int64_t row_of(const torch::Tensor& x, const torch::Tensor& all) {
  for (int64_t j = 0; j < all.size(0); ++j)
    if (torch::equal(x, all[j])) return j;
  return -1;
}

TEST(ImageDataValidation, DatasetHoldsOutBeforeTheSubset) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);  // 5 training images per class, 10 test images
  const auto full = load_idx(dir.path());
  EXPECT_EQ(full.validation().x.size(0), 0);  // none by default
  const auto d = load_idx(dir.path(), {{"validation_size", 20}, {"validation_seed", 1}});
  EXPECT_EQ(class_counts(d.validation().y, 10), std::vector<int64_t>(10, 2));
  EXPECT_EQ(class_counts(d.train().y, 10), std::vector<int64_t>(10, 3));
  EXPECT_EQ(d.validation().x.sizes(), torch::IntArrayRef({20, 1, 32, 32}));
  EXPECT_TRUE(torch::equal(d.test().x, full.test().x));
  // Every validation and training image is one of the file's training images, with its label,
  // and none is in both.
  std::vector<int64_t> seen;
  for (const auto* split : {&d.validation(), &d.train()})
    for (int64_t i = 0; i < split->x.size(0); ++i) {
      const int64_t j = row_of(split->x[i], full.train().x);
      ASSERT_GE(j, 0);
      EXPECT_EQ(split->y[i].item<int64_t>(), full.train().y[j].item<int64_t>());
      seen.push_back(j);
    }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end()) << "an image in both splits";
  EXPECT_EQ(seen.size(), static_cast<size_t>(kTrainN));
  // Deterministic in validation_seed alone: the subset options do not move it.
  const auto sub = load_idx(dir.path(), {{"validation_size", 20},
                                         {"validation_seed", 1},
                                         {"train_per_class", 2},
                                         {"subset_seed", 9}});
  EXPECT_TRUE(torch::equal(sub.validation().x, d.validation().x));
  EXPECT_EQ(class_counts(sub.train().y, 10), std::vector<int64_t>(10, 2));
  for (int64_t i = 0; i < sub.train().x.size(0); ++i)
    EXPECT_EQ(row_of(sub.train().x[i], d.validation().x), -1) << "subset reached validation";
  const auto other = load_idx(dir.path(), {{"validation_size", 20}, {"validation_seed", 2}});
  EXPECT_FALSE(torch::equal(other.validation().x, d.validation().x));

  TempDir cifar;
  write_cifar100_fixture(cifar.path());  // coarse: 2 per class
  const auto c = load_cifar(dfkd_image::cifar100_spec(), cifar.path(),
                            {{"labels", "coarse"}, {"validation_size", 20}});
  EXPECT_EQ(class_counts(c.validation().y, 20), std::vector<int64_t>(20, 1));
  EXPECT_EQ(class_counts(c.train().y, 20), std::vector<int64_t>(20, 1));
}

TEST(ImageDataValidation, OptionErrors) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  const auto negative = dfkd::test_support::thrown_message<dfkd::ConfigError>(
      [&] {
        load_idx(dir.path(), {{"validation_size", -1}});
      },
      "ConfigError");
  // The declared range refuses it when the options are resolved (the experiment is read).
  EXPECT_HAS(negative, "validation_size: expected an integer >= 0, found -1");
  EXPECT_THROW(load_idx(dir.path(), {{"validation_seed", -2}}), dfkd::ConfigError);
  // Larger than the training split: known once the files are read.
  const auto large = dfkd::test_support::thrown_message<dfkd::ConfigError>(
      [&] {
        load_idx(dir.path(), {{"validation_size", 51}});
      },
      "ConfigError");
  EXPECT_HAS(large, "mnist: option validation_size: expected an integer in [0, 49]");
  EXPECT_HAS(large, "found 51");
  EXPECT_THROW(load_idx(dir.path(), {{"validation_size", 50}}), dfkd::ConfigError);
  // A subset that no longer fits after the hold-out says so.
  const auto after = dfkd::test_support::thrown_message<dfkd::ConfigError>(
      [&] {
        load_idx(dir.path(), {{"validation_size", 20}, {"train_per_class", 4}});
      },
      "ConfigError");
  EXPECT_HAS(after, "after holding out validation_size 20");
  EXPECT_HAS(after, "option train_per_class: expected at most 3");
}
