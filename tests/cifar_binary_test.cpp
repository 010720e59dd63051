// The CIFAR-10/100 binary reader of the image datasets: records, pixels and labels on fixture
// files, corrupt-file errors, the CIFAR augmentation, and the lazy reading of the files.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
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

TEST(ImageDataLazy, ShapeAndSourceNeedNoFiles) {
  const auto spec = dfkd_image::cifar100_spec();
  nlohmann::json given{{"dir", "/nonexistent/cifar"}, {"labels", "coarse"}};
  CifarDataset data(spec, options(dfkd_image::cifar_dataset_info(spec), spec.plugin, given));
  EXPECT_EQ(data.shape().input_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(data.shape().num_classes, 20);
  EXPECT_EQ(data.source().at("dir"), "/nonexistent/cifar");
  EXPECT_THROW(data.train(), dfkd::DataError);
}
