// Golden-value tests of AutoAugment's operations. The expected images were computed with
// torchvision 0.14.1 (Debian python3-torchvision), transforms.autoaugment._apply_op with nearest
// interpolation, on the same input images built here:
//   one channel:    (arange(36) * 7 % 256 / 255).reshape(1, 1, 6, 6), float32
//   three channels: (arange(48) * 11 % 256 / 255).reshape(1, 3, 4, 4), float32
// Posterize and equalize take uint8 in torchvision: they were given the bytes of the same image and
// their output divided by 255. "bytes" rows list output · 255 (the result is exactly an input
// pixel, the fill or a byte); "reals" rows the float output to 7 digits. The geometric cases
// avoid source coordinates exactly halfway between two pixels, where torchvision's float32 grid
// and any other implementation may round either way. The script that printed
// the table is torchvision_goldens.py beside this file. Built into dfkd_tests via
// dfkd_add_plugin(... TESTS).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "autoaugment_ops.hpp"

namespace {

using dfkd::autoaugment::Op;

struct Golden {
  enum Kind { bytes, reals };
  const char* name;
  Op op;
  double magnitude, fill;
  int channels;
  Kind kind;
  std::vector<double> expected;
};

const std::vector<Golden> kGoldens{
    {"shear_x +0.3", Op::ShearX, 0.3, 0.0, 1, Golden::bytes, {0,   7,   14,  21,  28,  35,
                                                              42,  49,  56,  63,  70,  77,
                                                              91,  98,  105, 112, 119, 0,
                                                              133, 140, 147, 154, 161, 0,
                                                              175, 182, 189, 196, 203, 0,
                                                              224, 231, 238, 245, 0,   0}},
    {"shear_x -0.23 fill 0.5",
     Op::ShearX,
     -0.23,
     0.5,
     1,
     Golden::reals,
     {0,         0.02745098, 0.05490196, 0.08235294, 0.1098039, 0.1372549, 0.1647059, 0.1921569,
      0.2196078, 0.2470588,  0.2745098,  0.3019608,  0.5,       0.3294118, 0.3568628, 0.3843137,
      0.4117647, 0.4392157,  0.5,        0.4941176,  0.5215687, 0.5490196, 0.5764706, 0.6039216,
      0.5,       0.6588235,  0.6862745,  0.7137255,  0.7411765, 0.7686275, 0.5,       0.8235294,
      0.8509804, 0.8784314,  0.9058824,  0.9333333}},
    {"shear_y +0.3", Op::ShearY, 0.3, 0.0, 1, Golden::bytes, {0,   7,   56,  63,  70,  119,
                                                              42,  49,  98,  105, 112, 161,
                                                              84,  91,  140, 147, 154, 203,
                                                              126, 133, 182, 189, 196, 245,
                                                              168, 175, 224, 231, 238, 0,
                                                              210, 217, 0,   0,   0,   0}},
    {"translate_x +2", Op::TranslateX, 2.0, 0.0, 1, Golden::bytes, {0, 0, 0,   7,   14,  21,
                                                                    0, 0, 42,  49,  56,  63,
                                                                    0, 0, 84,  91,  98,  105,
                                                                    0, 0, 126, 133, 140, 147,
                                                                    0, 0, 168, 175, 182, 189,
                                                                    0, 0, 210, 217, 224, 231}},
    {"translate_y -1 fill 0.2",
     Op::TranslateY,
     -1.0,
     0.2,
     1,
     Golden::bytes,
     {42,  49,  56,  63,  70,  77,  84,  91,  98,  105, 112, 119, 126, 133, 140, 147, 154, 161,
      168, 175, 182, 189, 196, 203, 210, 217, 224, 231, 238, 245, 51,  51,  51,  51,  51,  51}},
    {"rotate +30", Op::Rotate, 30.0, 0.0, 1, Golden::bytes, {0,   14,  21,  70,  77,  0,   7,   14,
                                                             63,  70,  119, 119, 49,  49,  98,  105,
                                                             154, 161, 84,  91,  140, 147, 196, 196,
                                                             126, 126, 175, 182, 231, 238, 0,   168,
                                                             175, 224, 231, 0}},
    {"rotate -17", Op::Rotate, -17.0, 0.0, 1, Golden::bytes, {0,   42,  7,   14,  21,  0,
                                                              84,  91,  56,  63,  63,  28,
                                                              126, 91,  98,  105, 112, 77,
                                                              168, 133, 140, 147, 154, 119,
                                                              217, 182, 182, 189, 154, 161,
                                                              0,   224, 231, 238, 203, 0}},
    {"brightness +0.5",
     Op::Brightness,
     0.5,
     0.0,
     1,
     Golden::reals,
     {0,         0.04117647, 0.08235294, 0.1235294, 0.1647059, 0.2058824, 0.2470588, 0.2882353,
      0.3294118, 0.3705882,  0.4117647,  0.4529412, 0.4941177, 0.5352941, 0.5764706, 0.6176471,
      0.6588235, 0.7,        0.7411765,  0.782353,  0.8235295, 0.8647059, 0.9058824, 0.9470589,
      0.9882354, 1,          1,          1,         1,         1,         1,         1,
      1,         1,          1,          1}},
    {"brightness -0.3",
     Op::Brightness,
     -0.3,
     0.0,
     1,
     Golden::reals,
     {0,         0.01921569, 0.03843137, 0.05764706, 0.07686274, 0.09607843, 0.1152941, 0.1345098,
      0.1537255, 0.1729412,  0.1921569,  0.2113726,  0.2305882,  0.2498039,  0.2690196, 0.2882353,
      0.307451,  0.3266667,  0.3458824,  0.3650981,  0.3843137,  0.4035294,  0.4227451, 0.4419608,
      0.4611765, 0.4803922,  0.4996079,  0.5188235,  0.5380392,  0.5572549,  0.5764706, 0.5956863,
      0.614902,  0.6341177,  0.6533333,  0.672549}},
    {"contrast -0.5",
     Op::Contrast,
     -0.5,
     0.0,
     1,
     Golden::reals,
     {0.2401961, 0.2539216, 0.2676471, 0.2813726, 0.2950981, 0.3088236, 0.322549,  0.3362745,
      0.35,      0.3637255, 0.377451,  0.3911765, 0.404902,  0.4186275, 0.432353,  0.4460784,
      0.4598039, 0.4735294, 0.4872549, 0.5009804, 0.5147059, 0.5284314, 0.5421569, 0.5558824,
      0.5696079, 0.5833334, 0.5970588, 0.6107844, 0.6245098, 0.6382353, 0.6519608, 0.6656863,
      0.6794118, 0.6931373, 0.7068627, 0.7205883}},
    {"sharpness +0.9", Op::Sharpness, 0.9, 0.0, 1, Golden::bytes, {0,   7,   14,  21,  28,  35,
                                                                   42,  49,  56,  63,  70,  77,
                                                                   84,  91,  98,  105, 112, 119,
                                                                   126, 133, 140, 147, 154, 161,
                                                                   168, 175, 182, 189, 196, 203,
                                                                   210, 217, 224, 231, 238, 245}},
    {"solarize 0.5", Op::Solarize, 0.5, 0.0, 1, Golden::bytes, {0,   7,   14,  21,  28,  35,
                                                                42,  49,  56,  63,  70,  77,
                                                                84,  91,  98,  105, 112, 119,
                                                                126, 122, 115, 108, 101, 94,
                                                                87,  80,  73,  66,  59,  52,
                                                                45,  38,  31,  24,  17,  10}},
    {"autocontrast",
     Op::AutoContrast,
     0.0,
     0.0,
     1,
     Golden::reals,
     {0,         0.02857143, 0.05714286, 0.08571429, 0.1142857, 0.1428571, 0.1714286, 0.2,
      0.2285714, 0.2571428,  0.2857143,  0.3142857,  0.3428572, 0.3714286, 0.4,       0.4285714,
      0.4571429, 0.4857143,  0.5142857,  0.5428572,  0.5714286, 0.6,       0.6285715, 0.6571429,
      0.6857143, 0.7142857,  0.7428572,  0.7714286,  0.8,       0.8285714, 0.8571429, 0.8857143,
      0.9142857, 0.9428571,  0.9714286,  1}},
    {"invert", Op::Invert, 0.0, 0.0, 1, Golden::bytes, {255, 248, 241, 234, 227, 220, 213, 206,
                                                        199, 192, 185, 178, 171, 164, 157, 150,
                                                        143, 136, 129, 122, 115, 108, 101, 94,
                                                        87,  80,  73,  66,  59,  52,  45,  38,
                                                        31,  24,  17,  10}},
    {"color 1ch +0.4", Op::Color, 0.4, 0.0, 1, Golden::bytes, {0,   7,   14,  21,  28,  35,
                                                               42,  49,  56,  63,  70,  77,
                                                               84,  91,  98,  105, 112, 119,
                                                               126, 133, 140, 147, 154, 161,
                                                               168, 175, 182, 189, 196, 203,
                                                               210, 217, 224, 231, 238, 245}},
    {"color 3ch +0.4",
     Op::Color,
     0.4,
     0.0,
     3,
     Golden::reals,
     {0,         0,           0,          0,          0,         0.03646982, 0.0796088, 0.1227477,
      0.4016075, 0.4447465,   0.4878855,  0.5310245,  0.5741635, 0.6173025,  0.6604414, 0.7493592,
      0.7870494, 0.8301883,   0.8733273,  0.9164663,  0.9596054, 1,          1,         1,
      0,         0.005530819, 0.04866981, 0.09180878, 0.1349477, 0.1780867,  0.2212257, 0.3101435,
      0.3478338, 0.3909727,   0.4341117,  0.4772507,  0.5203897, 0.5635287,  0.6066676, 0.6498066,
      0.9286664, 0.9718053,   1,          1,          1,         1,          1,         0}},
    {"contrast 3ch +0.3",
     Op::Contrast,
     0.3,
     0.0,
     3,
     Golden::reals,
     {0,         0,         0,          0.02730852, 0.08338694, 0.1394654, 0.1955438, 0.2516222,
      0.3077007, 0.3637791, 0.4198575,  0.4759359,  0.5320144,  0.5880929, 0.6441712, 0.7002497,
      0.7563281, 0.8124065, 0.8684849,  0.9245633,  0.9806418,  1,         1,         1,
      0,         0,         0.01201439, 0.06809282, 0.1241713,  0.1802497, 0.2363281, 0.2924066,
      0.348485,  0.4045634, 0.4606418,  0.5167203,  0.5727987,  0.6288772, 0.6849556, 0.741034,
      0.7971124, 0.8531908, 0.9092693,  0.9653477,  1,          1,         1,         0}},
    {"posterize 4", Op::Posterize, 4, 0.0, 1, Golden::bytes, {0,   0,   0,   16,  16,  32,
                                                              32,  48,  48,  48,  64,  64,
                                                              80,  80,  96,  96,  112, 112,
                                                              112, 128, 128, 144, 144, 160,
                                                              160, 160, 176, 176, 192, 192,
                                                              208, 208, 224, 224, 224, 240}},
    {"posterize 6", Op::Posterize, 6, 0.0, 1, Golden::bytes, {0,   4,   12,  20,  28,  32,
                                                              40,  48,  56,  60,  68,  76,
                                                              84,  88,  96,  104, 112, 116,
                                                              124, 132, 140, 144, 152, 160,
                                                              168, 172, 180, 188, 196, 200,
                                                              208, 216, 224, 228, 236, 244}},
};

torch::Tensor input(int channels) {
  if (channels == 1)
    return (torch::arange(36, torch::kFloat32) * 7).remainder(256).div(255).view({1, 1, 6, 6});
  return (torch::arange(48, torch::kFloat32) * 11).remainder(256).div(255).view({1, 3, 4, 4});
}

}  // namespace

TEST(AutoAugmentOps, MatchTorchvision) {
  for (const auto& g : kGoldens) {
    SCOPED_TRACE(g.name);
    const auto x = input(g.channels);
    const auto out = dfkd::autoaugment::apply_op(g.op, x, torch::tensor({g.magnitude}), g.fill);
    ASSERT_EQ(out.sizes(), x.sizes());
    auto want = torch::tensor(g.expected, torch::kFloat64).view(x.sizes());
    if (g.kind == Golden::bytes) want = want / 255;
    const auto diff = (out.to(torch::kFloat64) - want).abs().max().item<double>();
    EXPECT_LT(diff, 2e-6) << "got\n" << out << "\nwant\n" << want;
  }
}

TEST(AutoAugmentOps, EqualizeSpreadsTheHistogram) {
  // 20x20 with grey levels 0, 50, 100, 200 at (i·j) % 4 -> counts 200, 50, 100, 50. torchvision:
  // step = ⌊(400 − 50) / 255⌋ = 1, lut[v] = pixels below v: 0 -> 0, 50 -> 200, 100 -> 250,
  // 200 -> 350 clamped to 255.
  const auto levels = torch::tensor({0.0, 50.0, 100.0, 200.0});
  const auto i = torch::arange(20).view({20, 1}), j = torch::arange(20).view({1, 20});
  const auto img =
      levels.index_select(0, (i * j).remainder(4).flatten()).view({1, 1, 20, 20}) / 255;
  const auto out = dfkd::autoaugment::apply_op(Op::Equalize, img, torch::zeros({1}), 0.0) * 255;
  const std::pair<double, double> map[] = {{0, 0}, {50, 200}, {100, 250}, {200, 255}};
  for (const auto& [from, to] : map) {
    const auto at = (img * 255).round().eq(from);
    EXPECT_TRUE(out.masked_select(at).round().eq(to).all().item<bool>()) << from << " -> " << to;
  }
  // Fewer pixels than 256 per level: step 0, unchanged (the 6x6 image).
  const auto small = input(1);
  EXPECT_TRUE(torch::allclose(
      dfkd::autoaugment::apply_op(Op::Equalize, small, torch::zeros({1}), 0.0), small));
}

TEST(AutoAugmentOps, EachSampleItsOwnMagnitude) {
  // Two copies of the image, translated by +2 and 0: the second is unchanged.
  const auto x = torch::cat({input(1), input(1)});
  const auto out = dfkd::autoaugment::apply_op(Op::TranslateX, x, torch::tensor({2.0, 0.0}), 0.0);
  EXPECT_TRUE(torch::equal(out[1], x[1]));
  EXPECT_FALSE(torch::equal(out[0], x[0]));
}

TEST(AutoAugmentOps, MagnitudeBinsAreTorchvisions) {
  using dfkd::autoaugment::magnitude;
  // torchvision _augmentation_space(10, (32, 32)): shear linspace(0, 0.3), rotate (0, 30),
  // enhance (0, 0.9), posterize [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]; solarize (255, 0) / 255.
  EXPECT_NEAR(magnitude(Op::ShearX, 9, 32, 0.15), 0.3, 1e-12);
  EXPECT_NEAR(magnitude(Op::Rotate, 3, 32, 0.15), 10.0, 1e-12);
  EXPECT_NEAR(magnitude(Op::Brightness, 5, 32, 0.15), 0.5, 1e-12);
  const double bits[] = {8, 8, 7, 7, 6, 6, 5, 5, 4, 4};
  for (int l = 0; l < 10; ++l) EXPECT_EQ(magnitude(Op::Posterize, l, 32, 0.15), bits[l]) << l;
  EXPECT_NEAR(magnitude(Op::Solarize, 3, 32, 0.15), 170.0 / 255, 1e-12);
  // Translations: torchvision's top bin is 150/331 · 32 = 14.5 px; ours is capped by the option.
  EXPECT_NEAR(magnitude(Op::TranslateX, 9, 32, 150.0 / 331.0), 14.501510574, 1e-6);
  EXPECT_NEAR(magnitude(Op::TranslateX, 9, 32, 0.15), 4.8, 1e-12);
  EXPECT_THROW(dfkd::autoaugment::op_named("flip"), std::invalid_argument);
  EXPECT_EQ(dfkd::autoaugment::op_named("rotate"), Op::Rotate);
}

TEST(AutoAugmentOps, PixelsRoundTrip) {
  const auto x = torch::randn({2, 3, 4, 4});
  const std::vector<double> mean{0.4914, 0.4822, 0.4465}, std{0.2023, 0.1994, 0.2010};
  const auto p = dfkd::autoaugment::to_pixels(x, mean, std);
  EXPECT_NEAR(p[0][1][0][0].item<double>(), x[0][1][0][0].item<double>() * 0.1994 + 0.4822, 1e-6);
  EXPECT_TRUE(torch::allclose(dfkd::autoaugment::from_pixels(p, mean, std), x, 1e-5, 1e-6));
}
