#pragma once
// Fixture files for the image dataset readers (plugins/dataset/image_data), written here in the
// exact formats: IDX (MNIST) and CIFAR binary records with hand-checkable pixels and labels.
// Shared by mnist_idx_test.cpp, cifar_binary_test.cpp, label_subset_test.cpp, image_data_test.cpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfkd/errors.hpp"
#include "idx_file.hpp"
#include "image_datasets.hpp"
#include "support/expect_throw.hpp"

/// Expects `message` to contain `part`, printing the message when it does not.
#define EXPECT_HAS(message, part)                    \
  EXPECT_NE((message).find(part), std::string::npos) \
      << "missing \"" << (part) << "\" in: " << (message)

namespace dfkd::test_support::image_fixtures {

/// The message of the DataError `f` throws (fails the test when it throws nothing or else).
template <class F>
std::string data_error(F&& f) {
  return thrown_message<dfkd::DataError>(std::forward<F>(f), "dfkd::DataError");
}

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using dfkd_image::CifarDataset;
using dfkd_image::IdxImageDataset;

inline void write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline Bytes read_back(const fs::path& path) {
  return dfkd_image::read_bytes(path);
}

inline void put_u32(Bytes& b, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<uint8_t>(v >> shift));
}

/// Pixel (r, c) of fixture image k. Image 0 is a horizontal ramp 9c (0..243) so its bilinear
/// resize has values computable by hand; the others vary with k, r and c.
inline uint8_t idx_pixel(int64_t k, int64_t r, int64_t c) {
  if (k == 0) return static_cast<uint8_t>(9 * c);
  return static_cast<uint8_t>((k * 37 + r * 5 + c * 3) % 256);
}

inline Bytes idx_images(int64_t n, int64_t rows = 28, int64_t cols = 28) {
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

inline Bytes idx_labels(const std::vector<uint8_t>& labels) {
  Bytes b;
  put_u32(b, 0x00000801);
  put_u32(b, static_cast<uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// MNIST-like fixture: 50 training images with labels k % 10 (5 per class) and 10 test images with
// labels 9 - k.
inline constexpr int64_t kTrainN = 50, kTestN = 10;
inline std::vector<uint8_t> train_labels() {
  std::vector<uint8_t> y;
  for (int64_t k = 0; k < kTrainN; ++k) y.push_back(static_cast<uint8_t>(k % 10));
  return y;
}
inline std::vector<uint8_t> test_labels() {
  std::vector<uint8_t> y;
  for (int64_t k = 0; k < kTestN; ++k) y.push_back(static_cast<uint8_t>(9 - k));
  return y;
}

inline constexpr const char* kTrainImages = "train-images-idx3-ubyte";
inline constexpr const char* kTrainLabels = "train-labels-idx1-ubyte";
inline constexpr const char* kTestImages = "t10k-images-idx3-ubyte";
inline constexpr const char* kTestLabels = "t10k-labels-idx1-ubyte";

/// Writes the four IDX files into `dir`, raw or gzipped (name + ".gz").
inline void write_idx_fixture(const fs::path& dir, bool gz) {
  const std::vector<std::pair<const char*, Bytes>> files = {
      {kTrainImages, idx_images(kTrainN)},
      {kTrainLabels, idx_labels(train_labels())},
      {kTestImages, idx_images(kTestN)},
      {kTestLabels, idx_labels(test_labels())}};
  for (const auto& [name, bytes] : files)
    write_file(dir / (std::string(name) + (gz ? ".gz" : "")), gz ? dfkd_image::gzip(bytes) : bytes);
}

inline dfkd::Options options(const dfkd::PluginInfo& info, const std::string& plugin,
                             const nlohmann::json& given) {
  return dfkd::Options(plugin, dfkd::resolve_options(info.options, given, "dataset.options"));
}

inline IdxImageDataset load_idx(const fs::path& dir,
                                nlohmann::json given = nlohmann::json::object(),
                                const dfkd_image::IdxDatasetSpec& spec = dfkd_image::mnist_spec()) {
  given["dir"] = dir.string();
  IdxImageDataset data(spec, options(dfkd_image::idx_dataset_info(spec), spec.plugin, given));
  data.train();  // files are read on first use of a split
  return data;
}

#define EXPECT_HAS(message, part)                    \
  EXPECT_NE((message).find(part), std::string::npos) \
      << "missing \"" << (part) << "\" in: " << (message)

// CIFAR fixtures. Record k of a file: label(s) from the record's global index g, and pixels:
// red plane 0 except (row 1, col 2) = 200, green plane 255, blue plane 128 for g == 0; otherwise
// (g * 11 + channel * 50 + row * 3 + col) % 256.
inline uint8_t cifar_pixel(int64_t g, int64_t ch, int64_t r, int64_t c) {
  if (g == 0) {
    if (ch == 0) return (r == 1 && c == 2) ? 200 : 0;
    return ch == 1 ? 255 : 128;
  }
  return static_cast<uint8_t>((g * 11 + ch * 50 + r * 3 + c) % 256);
}

inline void append_cifar_pixels(Bytes& b, int64_t g) {
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t r = 0; r < 32; ++r)
      for (int64_t c = 0; c < 32; ++c) b.push_back(cifar_pixel(g, ch, r, c));
}

// CIFAR-10: 5 train files of 4 records (20 records, labels g % 10), test file of 3 (labels 7, 8,
// 9).
inline void write_cifar10_fixture(const fs::path& dir) {
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
inline void write_cifar100_fixture(const fs::path& dir) {
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

inline CifarDataset load_cifar(const dfkd_image::CifarDatasetSpec& spec, const fs::path& dir,
                               nlohmann::json given = nlohmann::json::object()) {
  given["dir"] = dir.string();
  CifarDataset data(spec, options(dfkd_image::cifar_dataset_info(spec), spec.plugin, given));
  data.train();  // files are read on first use of a split
  return data;
}

inline std::vector<int64_t> class_counts(const torch::Tensor& y, int64_t classes) {
  auto h = torch::bincount(y, {}, classes);
  return std::vector<int64_t>(h.data_ptr<int64_t>(), h.data_ptr<int64_t>() + h.numel());
}

inline float px(const torch::Tensor& x, int64_t n, int64_t c, int64_t r, int64_t col) {
  return x.index({n, c, r, col}).item<float>();
}

}  // namespace dfkd::test_support::image_fixtures
