// The IDX reader (MNIST, Fashion-MNIST) of the image datasets: contents and transform on fixture
// files, every corrupt-file error, and the real Fashion-MNIST / MNIST / MNIST subset when
// installed.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "image_transforms.hpp"
#include "support/expect_throw.hpp"
#include "support/image_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace dfkd::test_support::image_fixtures;
using dfkd::test_support::TempDir;

// ------------------------------------------------------------------------------------------------
// IDX: contents and transform

TEST(ImageDataIdx, ShapesLabelsAndResize) {
  TempDir dir;
  write_idx_fixture(dir.path(), /*gz=*/false);
  const auto data = load_idx(dir.path());
  EXPECT_EQ(data.shape().input_shape, (std::vector<int64_t>{1, 32, 32}));
  EXPECT_EQ(data.shape().num_classes, 10);
  // 28x28 in the files, 32x32 after the resize.
  EXPECT_EQ(data.train().x.sizes(), torch::IntArrayRef({kTrainN, 1, 32, 32}));
  EXPECT_EQ(data.test().x.sizes(), torch::IntArrayRef({kTestN, 1, 32, 32}));
  EXPECT_EQ(data.train().x.scalar_type(), torch::kFloat32);
  EXPECT_EQ(data.train().y.scalar_type(), torch::kLong);
  EXPECT_TRUE(data.train().x.is_contiguous());
  const auto ytr = train_labels(), yte = test_labels();
  for (int64_t k = 0; k < kTrainN; ++k) EXPECT_EQ(data.train().y[k].item<int64_t>(), ytr[k]);
  for (int64_t k = 0; k < kTestN; ++k) EXPECT_EQ(data.test().y[k].item<int64_t>(), yte[k]);
  // The raw reader gives the bytes as written.
  const auto raw = dfkd_image::read_idx_images(dir / kTrainImages);
  EXPECT_EQ(raw.sizes(), torch::IntArrayRef({kTrainN, 28, 28}));
  EXPECT_EQ(raw.index({3, 4, 5}).item<int64_t>(), idx_pixel(3, 4, 5));
}

TEST(ImageDataIdx, FirstImageMatchesHandComputedValues) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  const auto mnist = load_idx(dir.path());
  const auto& x = mnist.train().x;
  // Image 0 is the ramp 9c along the columns, constant down the rows, so the bilinear resize
  // (align_corners=false) is linear in the source column u = (j + 0.5) * 28/32 - 0.5, clamped
  // to [0, 27]:
  //   j = 0:  u = -0.0625 -> 0       : byte 0       -> (0 - 0.1307) / 0.3081          = -0.4242129
  //   j = 16: u = 13.9375            : byte 125.4375 -> (125.4375/255 - 0.1307)/0.3081 = 1.1723848
  //   j = 31: u = 27.0625 -> 27      : byte 243     -> (243/255 - 0.1307) / 0.3081     = 2.6687477
  for (int64_t row : {0, 13, 31}) {
    EXPECT_NEAR(px(x, 0, 0, row, 0), -0.4242129, 1e-6);
    EXPECT_NEAR(px(x, 0, 0, row, 16), 1.1723848, 1e-6);
    EXPECT_NEAR(px(x, 0, 0, row, 31), 2.6687477, 1e-6);
  }
  // Same files read as Fashion-MNIST: its own statistics, (125.4375/255 - 0.2860)/0.3530 =
  // 0.5833194.
  const auto fashion =
      load_idx(dir.path(), nlohmann::json::object(), dfkd_image::fashion_mnist_spec());
  EXPECT_NEAR(px(fashion.train().x, 0, 0, 7, 16), 0.5833194, 1e-6);
  // Normalization::of_byte is the same formula.
  EXPECT_NEAR(dfkd_image::mnist_spec().norm.of_byte(0, 243), 2.6687477, 1e-6);
}

TEST(ImageDataIdx, RawAndGzipFilesGiveTheSameData) {
  TempDir raw, gz;
  write_idx_fixture(raw.path(), false);
  write_idx_fixture(gz.path(), true);
  ASSERT_TRUE(fs::exists(gz / "train-images-idx3-ubyte.gz"));
  ASSERT_FALSE(fs::exists(gz / kTrainImages));
  const auto a = load_idx(raw.path());
  const auto b = load_idx(gz.path());
  EXPECT_TRUE(torch::equal(a.train().x, b.train().x));
  EXPECT_TRUE(torch::equal(a.train().y, b.train().y));
  EXPECT_TRUE(torch::equal(a.test().x, b.test().x));
  EXPECT_TRUE(torch::equal(a.test().y, b.test().y));
  // Both present: the raw file is used (a broken .gz next to it is never opened).
  write_file(raw / "train-images-idx3-ubyte.gz", {1, 2, 3});
  EXPECT_NO_THROW(load_idx(raw.path()));
}

// ------------------------------------------------------------------------------------------------
// IDX: every corrupt case names the file, where, expected and found

TEST(ImageDataIdx, TruncatedImages) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  auto b = idx_images(kTrainN);
  b.resize(b.size() - 100);  // 50 x 784 = 39200 pixel bytes expected, 39100 left
  write_file(dir / kTrainImages, b);
  const auto msg = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(msg, (dir / kTrainImages).string());
  EXPECT_HAS(msg, "truncated");
  EXPECT_HAS(msg, "expected 39200 bytes of pixels (50 images x 28 x 28) from byte offset 16");
  EXPECT_HAS(msg, "found 39100");
  // A header cut short.
  write_file(dir / kTrainImages, Bytes(b.begin(), b.begin() + 10));
  const auto header = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(header, "expected a 16-byte IDX image header");
  EXPECT_HAS(header, "found 10 bytes");
}

TEST(ImageDataIdx, TruncatedLabelsAndTrailingBytes) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  auto y = idx_labels(test_labels());
  y.pop_back();
  write_file(dir / kTestLabels, y);
  const auto msg = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(msg, kTestLabels);
  EXPECT_HAS(msg, "expected 10 label bytes from byte offset 8, found 9");

  write_idx_fixture(dir.path(), false);
  auto b = idx_images(kTestN);
  b.push_back(0);
  b.push_back(0);
  write_file(dir / kTestImages, b);
  const auto extra = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(extra, kTestImages);
  EXPECT_HAS(extra, "2 unexpected bytes after the last image (byte offset 7856)");
  EXPECT_HAS(extra, "expected a file of 7856 bytes");
  EXPECT_HAS(extra, "found 7858");
}

TEST(ImageDataIdx, WrongMagic) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  // A label file where the images should be.
  write_file(dir / kTrainImages, idx_labels(train_labels()));
  const auto msg = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(msg, kTrainImages);
  EXPECT_HAS(msg, "wrong magic number at byte offset 0");
  EXPECT_HAS(msg, "expected 0x00000803");
  EXPECT_HAS(msg, "found 0x00000801");
  EXPECT_HAS(msg, "swapped?");

  write_idx_fixture(dir.path(), false);
  auto y = idx_labels(train_labels());
  y[3] = 0x02;
  write_file(dir / kTrainLabels, y);
  const auto labels = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(labels, kTrainLabels);
  EXPECT_HAS(labels, "expected 0x00000801");
  EXPECT_HAS(labels, "found 0x00000802");
}

TEST(ImageDataIdx, LabelOutOfRange) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  auto y = train_labels();
  y[17] = 12;
  write_file(dir / kTrainLabels, idx_labels(y));
  const auto msg = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(msg, kTrainLabels);
  EXPECT_HAS(msg, "label out of range: index 17 (byte offset 25) has label 12, expected 0..9");
}

TEST(ImageDataIdx, ImageLabelCountMismatch) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  auto y = train_labels();
  y.pop_back();
  write_file(dir / kTrainLabels, idx_labels(y));
  const auto msg = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(msg, "count mismatch");
  EXPECT_HAS(msg, (dir / kTrainImages).string() + " holds 50 images");
  EXPECT_HAS(msg, (dir / kTrainLabels).string() + " holds 49 labels");
}

TEST(ImageDataIdx, WrongImageSize) {
  TempDir dir;
  write_idx_fixture(dir.path(), false);
  write_file(dir / kTestImages, idx_images(kTestN, 32, 30));
  const auto msg = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(msg, kTestImages);
  EXPECT_HAS(msg, "expected 28x28 images, found 32x30");
}

TEST(ImageDataIdx, MissingFilesAndDirectory) {
  TempDir dir;
  write_idx_fixture(dir.path(), true);
  fs::remove(dir / "t10k-labels-idx1-ubyte.gz");
  const auto msg = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(msg, "mnist: data files not found in " + dir.path().string() + " (the dir option)");
  EXPECT_HAS(msg,
             "expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
             "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]");
  EXPECT_HAS(msg, "found t10k-labels-idx1-ubyte[.gz] missing");
  EXPECT_HAS(msg, "scripts/mnist-full.sh");

  const auto nowhere = data_error([&] { load_idx(dir / "nowhere"); });
  EXPECT_HAS(nowhere, (dir / "nowhere").string());
  EXPECT_HAS(nowhere, "no such directory");

  const auto fashion = data_error([&] {
    load_idx(dir / "nowhere", nlohmann::json::object(), dfkd_image::fashion_mnist_spec());
  });
  EXPECT_HAS(fashion, "fashion_mnist: data files not found");
  EXPECT_HAS(fashion, "dataset-fashion-mnist");
}

TEST(ImageDataIdx, CorruptGzip) {
  TempDir dir;
  write_idx_fixture(dir.path(), true);
  const auto path = dir / "train-images-idx3-ubyte.gz";
  const auto good = read_back(path);
  ASSERT_GT(good.size(), 100u);

  // Damaged deflate data in the middle of the stream.
  auto bad = good;
  for (size_t i = 30; i < 60; ++i) bad[i] ^= 0x5a;
  write_file(path, bad);
  const auto corrupt = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(corrupt, path.string());
  EXPECT_HAS(corrupt, "corrupt gzip data at compressed byte offset");
  EXPECT_HAS(corrupt, "zlib says");

  // Cut short: the stream ends before its end marker.
  write_file(path, Bytes(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
  const auto cut = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(cut, path.string());
  EXPECT_HAS(cut, "gzip stream ends early");
  EXPECT_HAS(cut, fmt::format("after byte {}", good.size() / 2));
  EXPECT_HAS(cut, "found end of file");

  // A damaged checksum in the 8-byte trailer (CRC32 + length).
  bad = good;
  bad[bad.size() - 6] ^= 0xff;
  write_file(path, bad);
  const auto crc = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(crc, "corrupt gzip data");
  EXPECT_HAS(crc, "incorrect data check");

  // Named .gz but not gzip at all.
  write_file(path, idx_images(kTrainN));
  const auto not_gz = data_error([&] { load_idx(dir.path()); });
  EXPECT_HAS(not_gz, path.string());
  EXPECT_HAS(not_gz, "expected the gzip magic bytes 1f 8b at byte offset 0, found 00 00");
}

// ------------------------------------------------------------------------------------------------
// Real data, when installed

TEST(ImageDataReal, FashionMnist) {
  const fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " not installed (dataset-fashion-mnist)";
  const auto data = load_idx(dir, nlohmann::json::object(), dfkd_image::fashion_mnist_spec());
  EXPECT_EQ(data.train().x.sizes(), torch::IntArrayRef({60000, 1, 32, 32}));
  EXPECT_EQ(data.test().x.sizes(), torch::IntArrayRef({10000, 1, 32, 32}));
  EXPECT_EQ(class_counts(data.train().y, 10), std::vector<int64_t>(10, 6000));
  EXPECT_EQ(class_counts(data.test().y, 10), std::vector<int64_t>(10, 1000));
  // The normalisation constants are this training set's own pixel statistics.
  const auto raw =
      dfkd_image::read_idx_images(dir / "train-images-idx3-ubyte.gz").to(torch::kDouble).div(255.0);
  EXPECT_NEAR(raw.mean().item<double>(), 0.2860, 5e-5);
  EXPECT_NEAR(raw.std(/*unbiased=*/false).item<double>(), 0.3530, 5e-5);
}

TEST(ImageDataReal, MnistFull) {
  const fs::path dir = fs::path(DFKD_SOURCE_DIR) / "data" / "mnist";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " missing: run scripts/mnist-full.sh";
  const auto data = load_idx(dir);
  EXPECT_EQ(data.train().x.sizes(), torch::IntArrayRef({60000, 1, 32, 32}));
  EXPECT_EQ(data.test().x.sizes(), torch::IntArrayRef({10000, 1, 32, 32}));
  EXPECT_EQ(class_counts(data.train().y, 10),
            (std::vector<int64_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(class_counts(data.test().y, 10),
            (std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  // The normalisation constants (0.1307, 0.3081) are this training set's pixel statistics.
  const auto raw =
      dfkd_image::read_idx_images(dir / "train-images-idx3-ubyte.gz").to(torch::kDouble).div(255.0);
  EXPECT_NEAR(raw.mean().item<double>(), 0.1307, 5e-5);
  EXPECT_NEAR(raw.std(/*unbiased=*/false).item<double>(), 0.3081, 5e-5);
}

TEST(ImageDataReal, MnistSubset) {
  const fs::path dir = fs::path(DFKD_SOURCE_DIR) / "data" / "mnist-subset";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " missing: run scripts/mnist-subset.sh";
  const auto data = load_idx(dir);
  EXPECT_EQ(data.train().x.sizes(), torch::IntArrayRef({8000, 1, 32, 32}));
  EXPECT_EQ(data.test().x.sizes(), torch::IntArrayRef({2000, 1, 32, 32}));
  // Per class: 80% (largest remainder) of the npm package's digits to train, the rest to test.
  EXPECT_EQ(class_counts(data.train().y, 10),
            (std::vector<int64_t>{801, 902, 793, 826, 784, 690, 811, 856, 755, 782}));
  EXPECT_EQ(class_counts(data.test().y, 10),
            (std::vector<int64_t>{200, 225, 198, 206, 196, 173, 203, 214, 189, 196}));
  // Real digits: mostly background, the ink near MNIST's statistics.
  const auto raw =
      dfkd_image::read_idx_images(dir / "train-images-idx3-ubyte.gz").to(torch::kDouble).div(255.0);
  std::cout << fmt::format("[ stats  ] MNIST subset train pixels: mean {:.4f} std {:.4f}\n",
                           raw.mean().item<double>(), raw.std(false).item<double>());
  EXPECT_NEAR(raw.mean().item<double>(), 0.1307, 0.01);
  EXPECT_NEAR(raw.std(false).item<double>(), 0.3081, 0.01);
}
