// The image datasets (plugins/dataset/image_data): IDX and CIFAR readers on fixture files written
// here in the exact formats, the transforms (expected values computed by hand), every corrupt-file
// error, the CIFAR augmentation, label subsets, and the real Fashion-MNIST / MNIST subset when
// they are installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "idx_file.hpp"
#include "image_datasets.hpp"
#include "image_transforms.hpp"
#include "label_subset.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using dfkd_image::CifarDataset;
using dfkd_image::IdxImageDataset;

// ------------------------------------------------------------------------------------------------
// Fixtures

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            fmt::format("dfkd-image-data-test-{}-{}", ::getpid(), counter++);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

Bytes read_back(const fs::path& path) { return dfkd_image::read_bytes(path); }

void put_u32(Bytes& b, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<uint8_t>(v >> shift));
}

/// Pixel (r, c) of fixture image k. Image 0 is a horizontal ramp 9c (0..243) so its bilinear
/// resize has values computable by hand; the others vary with k, r and c.
uint8_t idx_pixel(int64_t k, int64_t r, int64_t c) {
  if (k == 0) return static_cast<uint8_t>(9 * c);
  return static_cast<uint8_t>((k * 37 + r * 5 + c * 3) % 256);
}

Bytes idx_images(int64_t n, int64_t rows = 28, int64_t cols = 28) {
  Bytes b;
  put_u32(b, 0x00000803);
  put_u32(b, static_cast<uint32_t>(n));
  put_u32(b, static_cast<uint32_t>(rows));
  put_u32(b, static_cast<uint32_t>(cols));
  for (int64_t k = 0; k < n; ++k)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) b.push_back(idx_pixel(k, r, c));
  return b;
}

Bytes idx_labels(const std::vector<uint8_t>& labels) {
  Bytes b;
  put_u32(b, 0x00000801);
  put_u32(b, static_cast<uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// MNIST-like fixture: 50 training images with labels k % 10 (5 per class) and 10 test images with
// labels 9 - k.
constexpr int64_t kTrainN = 50, kTestN = 10;
std::vector<uint8_t> train_labels() {
  std::vector<uint8_t> y;
  for (int64_t k = 0; k < kTrainN; ++k) y.push_back(static_cast<uint8_t>(k % 10));
  return y;
}
std::vector<uint8_t> test_labels() {
  std::vector<uint8_t> y;
  for (int64_t k = 0; k < kTestN; ++k) y.push_back(static_cast<uint8_t>(9 - k));
  return y;
}

const char* kTrainImages = "train-images-idx3-ubyte";
const char* kTrainLabels = "train-labels-idx1-ubyte";
const char* kTestImages = "t10k-images-idx3-ubyte";
const char* kTestLabels = "t10k-labels-idx1-ubyte";

/// Writes the four IDX files into `dir`, raw or gzipped (name + ".gz").
void write_idx_fixture(const fs::path& dir, bool gz) {
  const std::vector<std::pair<const char*, Bytes>> files = {
      {kTrainImages, idx_images(kTrainN)},
      {kTrainLabels, idx_labels(train_labels())},
      {kTestImages, idx_images(kTestN)},
      {kTestLabels, idx_labels(test_labels())}};
  for (const auto& [name, bytes] : files)
    write_file(dir / (std::string(name) + (gz ? ".gz" : "")), gz ? dfkd_image::gzip(bytes) : bytes);
}

dfkd::Options options(const dfkd::PluginInfo& info, const std::string& plugin,
                      const nlohmann::json& given) {
  return dfkd::Options(plugin, dfkd::resolve_options(info.options, given, "dataset.options"));
}

IdxImageDataset load_idx(const fs::path& dir, nlohmann::json given = nlohmann::json::object(),
                         const dfkd_image::IdxDatasetSpec& spec = dfkd_image::mnist_spec()) {
  given["dir"] = dir.string();
  IdxImageDataset data(spec, options(dfkd_image::idx_dataset_info(spec), spec.plugin, given));
  data.train();  // files are read on first use of a split
  return data;
}

/// The message of the DataError `f` throws (fails the test when it throws nothing or else).
template <class F>
std::string data_error(F&& f) {
  try {
    f();
  } catch (const dfkd::DataError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected dfkd::DataError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected dfkd::DataError, nothing thrown";
  return "";
}

#define EXPECT_HAS(message, part)                    \
  EXPECT_NE((message).find(part), std::string::npos) \
      << "missing \"" << (part) << "\" in: " << (message)

// CIFAR fixtures. Record k of a file: label(s) from the record's global index g, and pixels:
// red plane 0 except (row 1, col 2) = 200, green plane 255, blue plane 128 for g == 0; otherwise
// (g * 11 + channel * 50 + row * 3 + col) % 256.
uint8_t cifar_pixel(int64_t g, int64_t ch, int64_t r, int64_t c) {
  if (g == 0) {
    if (ch == 0) return (r == 1 && c == 2) ? 200 : 0;
    return ch == 1 ? 255 : 128;
  }
  return static_cast<uint8_t>((g * 11 + ch * 50 + r * 3 + c) % 256);
}

void append_cifar_pixels(Bytes& b, int64_t g) {
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t r = 0; r < 32; ++r)
      for (int64_t c = 0; c < 32; ++c) b.push_back(cifar_pixel(g, ch, r, c));
}

// CIFAR-10: 5 train files of 4 records (20 records, labels g % 10), test file of 3 (labels 7, 8,
// 9).
void write_cifar10_fixture(const fs::path& dir) {
  int64_t g = 0;
  for (int f = 1; f <= 5; ++f) {
    Bytes b;
    for (int k = 0; k < 4; ++k, ++g) {
      b.push_back(static_cast<uint8_t>(g % 10));
      append_cifar_pixels(b, g);
    }
    write_file(dir / fmt::format("data_batch_{}.bin", f), b);
  }
  Bytes t;
  for (int k = 0; k < 3; ++k) {
    t.push_back(static_cast<uint8_t>(7 + k));
    append_cifar_pixels(t, 100 + k);
  }
  write_file(dir / "test_batch.bin", t);
}

// CIFAR-100: train.bin with 40 records (coarse g % 20, fine (7 g) % 100), test.bin with 5
// (coarse 19 - k, fine 99 - k).
void write_cifar100_fixture(const fs::path& dir) {
  Bytes b;
  for (int64_t g = 0; g < 40; ++g) {
    b.push_back(static_cast<uint8_t>(g % 20));
    b.push_back(static_cast<uint8_t>((7 * g) % 100));
    append_cifar_pixels(b, g);
  }
  write_file(dir / "train.bin", b);
  Bytes t;
  for (int64_t k = 0; k < 5; ++k) {
    t.push_back(static_cast<uint8_t>(19 - k));
    t.push_back(static_cast<uint8_t>(99 - k));
    append_cifar_pixels(t, 200 + k);
  }
  write_file(dir / "test.bin", t);
}

CifarDataset load_cifar(const dfkd_image::CifarDatasetSpec& spec, const fs::path& dir,
                        nlohmann::json given = nlohmann::json::object()) {
  given["dir"] = dir.string();
  CifarDataset data(spec, options(dfkd_image::cifar_dataset_info(spec), spec.plugin, given));
  data.train();  // files are read on first use of a split
  return data;
}

std::vector<int64_t> class_counts(const torch::Tensor& y, int64_t classes) {
  auto h = torch::bincount(y, {}, classes);
  return std::vector<int64_t>(h.data_ptr<int64_t>(), h.data_ptr<int64_t>() + h.numel());
}

float px(const torch::Tensor& x, int64_t n, int64_t c, int64_t r, int64_t col) {
  return x.index({n, c, r, col}).item<float>();
}

}  // namespace

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
  EXPECT_HAS(msg, "scripts/mnist-subset.sh");

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
// CIFAR

TEST(ImageDataCifar, Cifar10RecordsPixelsAndLabels) {
  TempDir dir;
  write_cifar10_fixture(dir.path());
  const auto data = load_cifar(dfkd_image::cifar10_spec(), dir.path());
  EXPECT_EQ(data.shape().input_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(data.shape().num_classes, 10);
  EXPECT_EQ(data.train().x.sizes(), torch::IntArrayRef({20, 3, 32, 32}));
  EXPECT_EQ(data.test().x.sizes(), torch::IntArrayRef({3, 3, 32, 32}));
  // data_batch_1..5 in order: global record g has label g % 10.
  for (int64_t g = 0; g < 20; ++g) EXPECT_EQ(data.train().y[g].item<int64_t>(), g % 10);
  EXPECT_EQ(class_counts(data.test().y, 10), (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 1, 1, 1}));

  // Record 0: red plane 0 but (row 1, col 2) = 200, green 255, blue 128. By hand:
  //   red 0:    (0 - 0.4914) / 0.2023            = -2.4290657
  //   red 200:  (200/255 - 0.4914) / 0.2023      =  1.4479176
  //   green:    (1 - 0.4822) / 0.1994            =  2.5967904
  //   blue 128: (128/255 - 0.4465) / 0.2010      =  0.2759243
  const auto& x = data.train().x;
  EXPECT_NEAR(px(x, 0, 0, 0, 0), -2.4290657, 1e-6);
  EXPECT_NEAR(px(x, 0, 0, 2, 1), -2.4290657, 1e-6);
  EXPECT_NEAR(px(x, 0, 0, 1, 2), 1.4479176, 1e-6);  // row-major: row 1, column 2
  EXPECT_NEAR(px(x, 0, 1, 17, 30), 2.5967904, 1e-6);
  EXPECT_NEAR(px(x, 0, 2, 31, 31), 0.2759243, 1e-6);
  // Another record, another file (g = 13: data_batch_4.bin, record 1).
  const auto norm = dfkd_image::cifar10_spec().norm;
  for (int64_t ch = 0; ch < 3; ++ch)
    EXPECT_NEAR(px(x, 13, ch, 5, 9), norm.of_byte(ch, cifar_pixel(13, ch, 5, 9)), 1e-6);
  EXPECT_NEAR(px(data.test().x, 2, 1, 4, 4), norm.of_byte(1, cifar_pixel(102, 1, 4, 4)), 1e-6);
}

TEST(ImageDataCifar, Cifar100FineAndCoarseLabels) {
  TempDir dir;
  write_cifar100_fixture(dir.path());
  const auto fine = load_cifar(dfkd_image::cifar100_spec(), dir.path());
  const auto coarse = load_cifar(dfkd_image::cifar100_spec(), dir.path(), {{"labels", "coarse"}});
  EXPECT_EQ(fine.shape().num_classes, 100);
  EXPECT_EQ(coarse.shape().num_classes, 20);
  EXPECT_EQ(fine.shape().input_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(fine.train().x.sizes(), torch::IntArrayRef({40, 3, 32, 32}));
  for (int64_t g = 0; g < 40; ++g) {
    EXPECT_EQ(fine.train().y[g].item<int64_t>(), (7 * g) % 100);
    EXPECT_EQ(coarse.train().y[g].item<int64_t>(), g % 20);
  }
  for (int64_t k = 0; k < 5; ++k) {
    EXPECT_EQ(fine.test().y[k].item<int64_t>(), 99 - k);
    EXPECT_EQ(coarse.test().y[k].item<int64_t>(), 19 - k);
  }
  // Two label bytes before the pixels: the first image is the same as in the CIFAR-10 layout.
  EXPECT_NEAR(px(fine.train().x, 0, 0, 1, 2), 1.4479176, 1e-6);
  EXPECT_NEAR(px(fine.train().x, 0, 2, 0, 0), 0.2759243, 1e-6);
  EXPECT_TRUE(torch::equal(fine.train().x, coarse.train().x));
  // The labels option only takes fine or coarse.
  EXPECT_THROW(load_cifar(dfkd_image::cifar100_spec(), dir.path(), {{"labels", "both"}}),
               dfkd::ConfigError);
}

TEST(ImageDataCifar, SizeNotAMultipleOfTheRecord) {
  TempDir dir;
  write_cifar10_fixture(dir.path());
  auto b = read_back(dir / "data_batch_3.bin");
  b.insert(b.end(), 5, 0);  // 4 x 3073 + 5 = 12297
  write_file(dir / "data_batch_3.bin", b);
  const auto msg = data_error([&] { load_cifar(dfkd_image::cifar10_spec(), dir.path()); });
  EXPECT_HAS(msg, (dir / "data_batch_3.bin").string());
  EXPECT_HAS(msg,
             "record count not integral: the file size 12297 is not a multiple of the "
             "CIFAR-10 record size 3073 bytes (1 label byte + 3072 pixel bytes)");
  EXPECT_HAS(msg, "4 whole records and 5 bytes left over");

  TempDir dir100;
  write_cifar100_fixture(dir100.path());
  auto t = read_back(dir100 / "test.bin");
  t.resize(t.size() - 1);
  write_file(dir100 / "test.bin", t);
  const auto m100 = data_error([&] { load_cifar(dfkd_image::cifar100_spec(), dir100.path()); });
  EXPECT_HAS(m100, (dir100 / "test.bin").string());
  EXPECT_HAS(m100, "CIFAR-100 record size 3074 bytes (2 label bytes + 3072 pixel bytes)");
  EXPECT_HAS(m100, "4 whole records and 3073 bytes left over");

  write_file(dir100 / "test.bin", {});
  const auto empty = data_error([&] { load_cifar(dfkd_image::cifar100_spec(), dir100.path()); });
  EXPECT_HAS(empty, (dir100 / "test.bin").string());
  EXPECT_HAS(empty, "the file is empty (0 bytes): expected CIFAR-100 records of 3074 bytes");
  EXPECT_EQ(empty.find("not a multiple"), std::string::npos) << empty;
}

TEST(ImageDataCifar, LabelOutOfRange) {
  TempDir dir;
  write_cifar10_fixture(dir.path());
  auto b = read_back(dir / "data_batch_2.bin");
  b[2 * 3073] = 10;  // record 2's label byte
  write_file(dir / "data_batch_2.bin", b);
  const auto msg = data_error([&] { load_cifar(dfkd_image::cifar10_spec(), dir.path()); });
  EXPECT_HAS(msg, (dir / "data_batch_2.bin").string());
  EXPECT_HAS(msg, "record 2 (byte offset 6146) has label 10, expected 0..9");

  TempDir dir100;
  write_cifar100_fixture(dir100.path());
  auto t = read_back(dir100 / "train.bin");
  t[1 * 3074 + 1] = 100;  // record 1's fine label byte
  write_file(dir100 / "train.bin", t);
  const auto fine = data_error([&] { load_cifar(dfkd_image::cifar100_spec(), dir100.path()); });
  EXPECT_HAS(fine, "record 1 (byte offset 3075) has fine label 100, expected 0..99");
  t[1 * 3074 + 1] = 7;
  t[3 * 3074] = 20;  // record 3's coarse label byte
  write_file(dir100 / "train.bin", t);
  const auto coarse = data_error([&] { load_cifar(dfkd_image::cifar100_spec(), dir100.path()); });
  EXPECT_HAS(coarse, "record 3 (byte offset 9222) has coarse label 20, expected 0..19");
}

TEST(ImageDataCifar, MissingFiles) {
  TempDir dir;
  write_cifar10_fixture(dir.path());
  fs::remove(dir / "test_batch.bin");
  fs::remove(dir / "data_batch_4.bin");
  const auto msg = data_error([&] { load_cifar(dfkd_image::cifar10_spec(), dir.path()); });
  EXPECT_HAS(msg, "cifar10: data files not found in " + dir.path().string());
  EXPECT_HAS(msg,
             "expected data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, "
             "data_batch_4.bin, data_batch_5.bin, test_batch.bin");
  EXPECT_HAS(msg, "found data_batch_4.bin, test_batch.bin missing");
  EXPECT_HAS(msg, "CIFAR-10 cannot be downloaded on this machine");
  EXPECT_HAS(msg, "official binary version");
  EXPECT_HAS(msg, "`dir` option or DFKD_DATA");

  const auto m100 = data_error([&] { load_cifar(dfkd_image::cifar100_spec(), dir / "none"); });
  EXPECT_HAS(m100, (dir / "none").string());
  EXPECT_HAS(m100, "expected train.bin, test.bin, found no such directory");
  EXPECT_HAS(m100, "cifar-100-binary/");
}

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

// ------------------------------------------------------------------------------------------------
// Augmentation

namespace {

/// The reference order on the raw bytes: zero-pad by 4, crop at (top, left), flip, then normalise.
torch::Tensor pad_crop_flip_normalise(const torch::Tensor& raw /* uint8 [C,32,32] */, int64_t top,
                                      int64_t left, bool flip,
                                      const dfkd_image::Normalization& norm) {
  auto padded = torch::constant_pad_nd(raw.to(torch::kFloat), {4, 4, 4, 4}, 0.0);
  auto crop = padded.narrow(1, top, 32).narrow(2, left, 32);
  if (flip) crop = crop.flip({2});
  auto mean = torch::tensor(norm.mean).to(torch::kFloat).view({-1, 1, 1});
  auto std = torch::tensor(norm.std).to(torch::kFloat).view({-1, 1, 1});
  return (crop / 255.0 - mean) / std;
}

}  // namespace

TEST(ImageDataAugment, MatchesPadThenNormaliseCropAndFlip) {
  TempDir dir;
  write_cifar10_fixture(dir.path());
  const auto data = load_cifar(dfkd_image::cifar10_spec(), dir.path());
  const auto norm = dfkd_image::cifar10_spec().norm;
  const auto batch = data.train().x;  // 20 images
  auto rng = dfkd::make_generator(3, "augment_test");
  const auto out = data.augment(batch, rng);
  EXPECT_EQ(out.sizes(), batch.sizes());
  EXPECT_EQ(out.scalar_type(), torch::kFloat32);

  // The draws, in the documented order: top, left (0..8), then flip (p = 0.5), one per sample.
  auto replay = dfkd::make_generator(3, "augment_test");
  const int64_t b = batch.size(0);
  const auto top = torch::randint(0, 9, {b}, replay, torch::kLong);
  const auto left = torch::randint(0, 9, {b}, replay, torch::kLong);
  const auto flip = torch::rand({b}, replay) < 0.5;
  int shifted = 0, flipped = 0;
  for (int64_t k = 0; k < b; ++k) {
    auto raw = torch::empty({3, 32, 32}, torch::kUInt8);
    auto a = raw.accessor<uint8_t, 3>();
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t r = 0; r < 32; ++r)
        for (int64_t c = 0; c < 32; ++c) a[ch][r][c] = cifar_pixel(k, ch, r, c);
    const auto expected = pad_crop_flip_normalise(
        raw, top[k].item<int64_t>(), left[k].item<int64_t>(), flip[k].item<bool>(), norm);
    EXPECT_TRUE(torch::allclose(out[k], expected, 1e-5, 1e-5)) << "sample " << k;
    shifted += (top[k].item<int64_t>() != 4 || left[k].item<int64_t>() != 4);
    flipped += flip[k].item<bool>();
  }
  EXPECT_GT(shifted, 10);  // the crops really move the content
  EXPECT_GT(flipped, 2);
  EXPECT_LT(flipped, 18);
}

TEST(ImageDataAugment, PaddingHoldsThePixelZeroValue) {
  const auto norm = dfkd_image::cifar10_spec().norm;
  const auto fill = norm.zero_pixel();
  // (0 - mean) / std per channel: -2.4290657, -2.4182548, -2.2213930.
  EXPECT_NEAR(fill[0].item<float>(), -2.4290657, 1e-6);
  EXPECT_NEAR(fill[1].item<float>(), -2.4182548, 1e-6);
  EXPECT_NEAR(fill[2].item<float>(), -2.2213930, 1e-6);
  // A batch of constant 7s: every output pixel is either 7 (image) or the fill (padding); with 64
  // samples some crops reach the padding; the image part of a crop at (top, left) is the
  // [4 - top, 36 - top) x [4 - left, 36 - left) window.
  const auto batch = torch::full({64, 3, 32, 32}, 7.0f);
  auto rng = dfkd::make_generator(11, "augment_test");
  const auto out = dfkd_image::random_crop_flip(batch, 4, fill, 0.5, rng);
  const auto is_image = out.eq(7.0f);
  const auto is_fill = out.eq(fill.view({1, 3, 1, 1}));
  EXPECT_TRUE(is_image.logical_or(is_fill).all().item<bool>());
  EXPECT_GT(is_fill.sum().item<int64_t>(), 0);
  // Every sample keeps at least the central 24x24 of the image (shifts are at most 4).
  EXPECT_TRUE(is_image.narrow(2, 4, 24).narrow(3, 4, 24).all().item<bool>());
}

TEST(ImageDataAugment, FlipMirrorsAndCropShifts) {
  auto rng = dfkd::make_generator(1, "augment_test");
  const auto batch = torch::randn({8, 3, 32, 32}, rng);
  const auto fill = torch::zeros({3});
  // No padding: the crop is the image; flip p = 1 mirrors every sample, p = 0 none.
  EXPECT_TRUE(
      torch::equal(dfkd_image::random_crop_flip(batch, 0, fill, 1.0, rng), batch.flip({3})));
  EXPECT_TRUE(torch::equal(dfkd_image::random_crop_flip(batch, 0, fill, 0.0, rng), batch));
  // With padding, no flip: each output is the input shifted by (top - 4, left - 4).
  auto a = dfkd::make_generator(5, "augment_test");
  auto replay = dfkd::make_generator(5, "augment_test");
  const auto out = dfkd_image::random_crop_flip(batch, 4, fill, 0.0, a);
  const auto top = torch::randint(0, 9, {8}, replay, torch::kLong);
  const auto left = torch::randint(0, 9, {8}, replay, torch::kLong);
  for (int64_t k = 0; k < 8; ++k) {
    const int64_t dy = top[k].item<int64_t>() - 4, dx = left[k].item<int64_t>() - 4;
    // out[i][j] = in[i + dy][j + dx] where that is inside the image.
    const int64_t i0 = std::max<int64_t>(0, -dy), i1 = std::min<int64_t>(32, 32 - dy);
    const int64_t j0 = std::max<int64_t>(0, -dx), j1 = std::min<int64_t>(32, 32 - dx);
    EXPECT_TRUE(torch::equal(out[k].slice(1, i0, i1).slice(2, j0, j1),
                             batch[k].slice(1, i0 + dy, i1 + dy).slice(2, j0 + dx, j1 + dx)))
        << "sample " << k << " shift " << dy << "," << dx;
  }
}

TEST(ImageDataAugment, DeterministicForASeedAndOptional) {
  TempDir dir;
  write_cifar10_fixture(dir.path());
  const auto data = load_cifar(dfkd_image::cifar10_spec(), dir.path());
  const auto& x = data.train().x;
  auto r1 = dfkd::make_generator(7, "batches");
  auto r2 = dfkd::make_generator(7, "batches");
  auto r3 = dfkd::make_generator(8, "batches");
  const auto a = data.augment(x, r1);
  EXPECT_TRUE(torch::equal(a, data.augment(x, r2)));
  EXPECT_FALSE(torch::equal(a, data.augment(x, r3)));
  EXPECT_FALSE(torch::equal(a, x));
  // augment: false leaves batches alone; MNIST-like datasets never augment.
  const auto plain = load_cifar(dfkd_image::cifar10_spec(), dir.path(), {{"augment", false}});
  EXPECT_TRUE(torch::equal(plain.augment(x, r1), x));
  TempDir idx;
  write_idx_fixture(idx.path(), false);
  const auto mnist = load_idx(idx.path());
  EXPECT_TRUE(torch::equal(mnist.augment(mnist.train().x, r1), mnist.train().x));
}

TEST(ImageDataAugment, CostOfABatchOf128) {
  // A CIFAR-sized training split and the host's batching: index_select of 128 random rows, then
  // augment. Reported, and bounded far above what was measured so a loaded machine does not fail.
  auto rng = dfkd::make_generator(1, "timing");
  const auto split = torch::randn({10000, 3, 32, 32}, rng);
  const auto fill = dfkd_image::cifar10_spec().norm.zero_pixel();
  constexpr int kReps = 50;
  double select_ms = 0, augment_ms = 0;
  for (int rep = 0; rep < kReps + 3; ++rep) {
    const auto idx = torch::randperm(10000, rng, torch::kLong).narrow(0, 0, 128);
    const auto t0 = std::chrono::steady_clock::now();
    const auto batch = split.index_select(0, idx);
    const auto t1 = std::chrono::steady_clock::now();
    const auto out = dfkd_image::random_crop_flip(batch, 4, fill, 0.5, rng);
    const auto t2 = std::chrono::steady_clock::now();
    ASSERT_EQ(out.sizes(), batch.sizes());
    if (rep < 3) continue;  // warm-up
    select_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    augment_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
  }
  select_ms /= kReps;
  augment_ms /= kReps;
  std::cout << fmt::format(
      "[ timing ] batch of 128 x 3x32x32: index_select {:.3f} ms, "
      "random_crop_flip {:.3f} ms\n",
      select_ms, augment_ms);
  RecordProperty("index_select_ms", fmt::format("{:.3f}", select_ms));
  RecordProperty("augment_ms", fmt::format("{:.3f}", augment_ms));
  EXPECT_LT(augment_ms, 50.0);
}

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

TEST(ImageDataReal, MnistSubset) {
  const fs::path dir = fs::path(DFKD_SOURCE_DIR) / "data" / "mnist";
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

TEST(ImageDataLazy, ShapeAndSourceNeedNoFiles) {
  const auto spec = dfkd_image::cifar100_spec();
  nlohmann::json given{{"dir", "/nonexistent/cifar"}, {"labels", "coarse"}};
  CifarDataset data(spec, options(dfkd_image::cifar_dataset_info(spec), spec.plugin, given));
  EXPECT_EQ(data.shape().input_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(data.shape().num_classes, 20);
  EXPECT_EQ(data.source().at("dir"), "/nonexistent/cifar");
  EXPECT_THROW(data.train(), dfkd::DataError);
}
