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
            (std::vector<std::string>{"dir", "train_fraction", "train_per_class", "subset_seed"}));
  EXPECT_EQ(names(dfkd_image::cifar_dataset_info(dfkd_image::cifar100_spec())),
            (std::vector<std::string>{"dir", "augment", "labels", "train_fraction",
                                      "train_per_class", "subset_seed"}));
  EXPECT_EQ(dfkd_image::fashion_mnist_spec().default_dir, "/usr/share/datasets/fashion-mnist");
}
