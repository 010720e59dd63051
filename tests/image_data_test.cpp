// What the image datasets share: the default data directory and documented options.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/expect_throw.hpp"
#include "support/image_fixtures.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace dfkd::test_support::image_fixtures;
using dfkd::test_support::TempDir;

TEST(ImageData, DefaultDirectoryFromDfkdData) {
  const char* old = std::getenv("DFKD_DATA");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("DFKD_DATA", "/some/where", 1);
  const auto env = dfkd_image::resolve_data_dir("", "cifar-10-batches-bin");
  EXPECT_EQ(env.path, fs::path("/some/where/cifar-10-batches-bin"));
  EXPECT_HAS(env.how, "DFKD_DATA=/some/where");
  ::unsetenv("DFKD_DATA");
  const auto repo = dfkd_image::resolve_data_dir("", "mnist");
  EXPECT_EQ(repo.path, fs::path(DFKD_SOURCE_DIR) / "data" / "mnist");
  EXPECT_HAS(repo.how, "DFKD_DATA unset");
  const auto given = dfkd_image::resolve_data_dir("/x/y", "mnist");
  EXPECT_EQ(given.path, fs::path("/x/y"));
  if (saved) ::setenv("DFKD_DATA", saved->c_str(), 1);
  // The missing-file message says how the directory was chosen.
  const auto msg = data_error([&] {
    load_cifar(dfkd_image::cifar10_spec(), fs::temp_directory_path() / "dfkd-no-such-dir");
  });
  EXPECT_HAS(msg, "(the dir option)");
}

TEST(ImageData, EveryOptionIsDocumented) {
  for (const auto& info : {dfkd_image::idx_dataset_info(dfkd_image::mnist_spec()),
                           dfkd_image::idx_dataset_info(dfkd_image::fashion_mnist_spec()),
                           dfkd_image::cifar_dataset_info(dfkd_image::cifar10_spec()),
                           dfkd_image::cifar_dataset_info(dfkd_image::cifar100_spec())}) {
    EXPECT_FALSE(info.doc.empty());
    for (const auto& o : info.options) EXPECT_FALSE(o.doc.empty()) << o.name;
  }
  const auto names = [](const dfkd::PluginInfo& info) {
    std::vector<std::string> n;
    for (const auto& o : info.options) n.push_back(o.name);
    return n;
  };
  EXPECT_EQ(names(dfkd_image::idx_dataset_info(dfkd_image::mnist_spec())),
            (std::vector<std::string>{"dir", "variant", "train_fraction", "train_per_class",
                                      "subset_seed", "validation_size", "validation_seed"}));
  EXPECT_EQ(names(dfkd_image::idx_dataset_info(dfkd_image::fashion_mnist_spec())),
            (std::vector<std::string>{"dir", "train_fraction", "train_per_class", "subset_seed",
                                      "validation_size", "validation_seed"}));
  EXPECT_EQ(
      names(dfkd_image::cifar_dataset_info(dfkd_image::cifar100_spec())),
      (std::vector<std::string>{"dir", "augment", "labels", "train_fraction", "train_per_class",
                                "subset_seed", "validation_size", "validation_seed"}));
  EXPECT_EQ(dfkd_image::fashion_mnist_spec().default_dir, "/usr/share/datasets/fashion-mnist");
}

// MNIST's `variant`: which folder under the data root `dir: ""` means, and the image counts that
// folder must hold (a stale copy, e.g. the subset where the full set belongs, is refused).
TEST(ImageData, MnistVariantPicksTheFolderAndChecksItsCounts) {
  TempDir root;
  fs::create_directories(root / "mnist-subset");
  write_idx_fixture(root / "mnist-subset", true);  // 50 / 10 images, not the subset's 8000 / 2000
  const dfkd::test_support::ScopedEnv env("DFKD_DATA", root.path().c_str());
  const auto spec = dfkd_image::mnist_spec();
  const auto info = dfkd_image::idx_dataset_info(spec);
  const IdxImageDataset full(spec, options(info, "mnist", nlohmann::json::object()));
  EXPECT_EQ(full.directory(), root / "mnist");
  const IdxImageDataset subset(spec, options(info, "mnist", {{"variant", "subset"}}));
  EXPECT_EQ(subset.directory(), root / "mnist-subset");
  EXPECT_EQ(subset.source(), nlohmann::json({{"dir", (root / "mnist-subset").string()}}));
  const auto counts = data_error([&] { subset.train(); });
  EXPECT_HAS(counts, "mnist: variant subset: " + (root / "mnist-subset").string());
  EXPECT_HAS(counts, "holds 50 train / 10 test images, expected 8000 / 2000");
  EXPECT_HAS(counts, "scripts/mnist-subset.sh");
  const auto missing = data_error([&] { full.train(); });
  EXPECT_HAS(missing, "scripts/mnist-full.sh");
  // With `dir` given the files are the user's: no count check, and no variant other than full.
  EXPECT_EQ(load_idx(root / "mnist-subset").train().x.size(0), kTrainN);
  const auto both = dfkd::test_support::thrown_message<dfkd::ConfigError>(
      [&] {
        load_idx(root / "mnist-subset", {{"variant", "subset"}});
      },
      "ConfigError");
  EXPECT_HAS(both,
             "mnist: option variant: \"subset\" names files under the data root, but dir "
             "is set");
  EXPECT_THROW(load_idx(root.path(), {{"variant", "half"}}), dfkd::ConfigError);  // not a choice
}
