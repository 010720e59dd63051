// AutoAugment-style policies (Cubuk et al. 2019) for image batches, 1 or 3 channels: each image
// gets one sub-policy of two operations, each applied with its probability at its magnitude
// level, in pixel space (the dataset's normalisation undone and redone). As torchvision's
// AutoAugment: a sub-policy drawn uniformly per image, a random sign per signed operation, nearest
// sampling. Park et al. 2021 (table 5) train teacher and student with such a policy.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <dfkd/sdk.hpp>

#include "autoaugment_ops.hpp"

namespace dfkd_autoaugment {
namespace {

using dfkd::autoaugment::Op;

struct Step {
  Op op;
  double probability;
  int level;  ///< 0 for the operations without a magnitude
};
using SubPolicy = std::array<Step, 2>;

// The learned policies as torchvision 0.14 lists them (AutoAugmentPolicy.SVHN, .CIFAR10).
const std::vector<SubPolicy>& svhn_policy() {
  static const std::vector<SubPolicy> p{{{{Op::ShearX, 0.9, 4}, {Op::Invert, 0.2, 0}}},
                                        {{{Op::ShearY, 0.9, 8}, {Op::Invert, 0.7, 0}}},
                                        {{{Op::Equalize, 0.6, 0}, {Op::Solarize, 0.6, 6}}},
                                        {{{Op::Invert, 0.9, 0}, {Op::Equalize, 0.6, 0}}},
                                        {{{Op::Equalize, 0.6, 0}, {Op::Rotate, 0.9, 3}}},
                                        {{{Op::ShearX, 0.9, 4}, {Op::AutoContrast, 0.8, 0}}},
                                        {{{Op::ShearY, 0.9, 8}, {Op::Invert, 0.4, 0}}},
                                        {{{Op::ShearY, 0.9, 5}, {Op::Solarize, 0.2, 6}}},
                                        {{{Op::Invert, 0.9, 0}, {Op::AutoContrast, 0.8, 0}}},
                                        {{{Op::Equalize, 0.6, 0}, {Op::Rotate, 0.9, 3}}},
                                        {{{Op::ShearX, 0.9, 4}, {Op::Solarize, 0.3, 3}}},
                                        {{{Op::ShearY, 0.8, 8}, {Op::Invert, 0.7, 0}}},
                                        {{{Op::Equalize, 0.9, 0}, {Op::TranslateY, 0.6, 6}}},
                                        {{{Op::Invert, 0.9, 0}, {Op::Equalize, 0.6, 0}}},
                                        {{{Op::Contrast, 0.3, 3}, {Op::Rotate, 0.8, 4}}},
                                        {{{Op::Invert, 0.8, 0}, {Op::TranslateY, 0.0, 2}}},
                                        {{{Op::ShearY, 0.7, 6}, {Op::Solarize, 0.4, 8}}},
                                        {{{Op::Invert, 0.6, 0}, {Op::Rotate, 0.8, 4}}},
                                        {{{Op::ShearY, 0.3, 7}, {Op::TranslateX, 0.9, 3}}},
                                        {{{Op::ShearX, 0.1, 6}, {Op::Invert, 0.6, 0}}},
                                        {{{Op::Solarize, 0.7, 2}, {Op::TranslateY, 0.6, 7}}},
                                        {{{Op::ShearY, 0.8, 4}, {Op::Invert, 0.8, 0}}},
                                        {{{Op::ShearX, 0.7, 9}, {Op::TranslateY, 0.8, 3}}},
                                        {{{Op::ShearY, 0.8, 5}, {Op::AutoContrast, 0.7, 0}}},
                                        {{{Op::ShearX, 0.7, 2}, {Op::Invert, 0.1, 0}}}};
  return p;
}

const std::vector<SubPolicy>& cifar10_policy() {
  static const std::vector<SubPolicy> p{{{{Op::Invert, 0.1, 0}, {Op::Contrast, 0.2, 6}}},
                                        {{{Op::Rotate, 0.7, 2}, {Op::TranslateX, 0.3, 9}}},
                                        {{{Op::Sharpness, 0.8, 1}, {Op::Sharpness, 0.9, 3}}},
                                        {{{Op::ShearY, 0.5, 8}, {Op::TranslateY, 0.7, 9}}},
                                        {{{Op::AutoContrast, 0.5, 0}, {Op::Equalize, 0.9, 0}}},
                                        {{{Op::ShearY, 0.2, 7}, {Op::Posterize, 0.3, 7}}},
                                        {{{Op::Color, 0.4, 3}, {Op::Brightness, 0.6, 7}}},
                                        {{{Op::Sharpness, 0.3, 9}, {Op::Brightness, 0.7, 9}}},
                                        {{{Op::Equalize, 0.6, 0}, {Op::Equalize, 0.5, 0}}},
                                        {{{Op::Contrast, 0.6, 7}, {Op::Sharpness, 0.6, 5}}},
                                        {{{Op::Color, 0.7, 7}, {Op::TranslateX, 0.5, 8}}},
                                        {{{Op::Equalize, 0.3, 0}, {Op::AutoContrast, 0.4, 0}}},
                                        {{{Op::TranslateY, 0.4, 3}, {Op::Sharpness, 0.2, 6}}},
                                        {{{Op::Brightness, 0.9, 6}, {Op::Color, 0.2, 8}}},
                                        {{{Op::Solarize, 0.5, 2}, {Op::Invert, 0.0, 0}}},
                                        {{{Op::Equalize, 0.2, 0}, {Op::AutoContrast, 0.6, 0}}},
                                        {{{Op::Equalize, 0.2, 0}, {Op::Equalize, 0.6, 0}}},
                                        {{{Op::Color, 0.9, 9}, {Op::Equalize, 0.6, 0}}},
                                        {{{Op::AutoContrast, 0.8, 0}, {Op::Solarize, 0.2, 8}}},
                                        {{{Op::Brightness, 0.1, 3}, {Op::Color, 0.7, 0}}},
                                        {{{Op::Solarize, 0.4, 5}, {Op::AutoContrast, 0.9, 0}}},
                                        {{{Op::TranslateY, 0.9, 9}, {Op::TranslateY, 0.7, 9}}},
                                        {{{Op::AutoContrast, 0.9, 0}, {Op::Solarize, 0.8, 3}}},
                                        {{{Op::Equalize, 0.8, 0}, {Op::Invert, 0.1, 0}}},
                                        {{{Op::TranslateY, 0.7, 9}, {Op::AutoContrast, 0.9, 0}}}};
  return p;
}

std::vector<std::string> all_but_invert() {
  auto names = dfkd::autoaugment::op_names();
  names.erase(std::find(names.begin(), names.end(), "invert"));
  return names;
}

}  // namespace

class AutoAugment : public dfkd::Augmentation {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "AutoAugment policies (Cubuk et al. 2019) on image batches: per image one sub-policy of "
        "two operations (svhn, cifar10: the learned policies; random: two operations drawn from "
        "`ops`, each with probability 0.5 at a random level)";
    info.options = {
        dfkd::option_string("policy", "svhn",
                            "svhn (learned on digits), cifar10, or random (two operations drawn "
                            "uniformly from `ops` per image, each with probability 0.5 at a level "
                            "drawn uniformly from 0..9)",
                            {"svhn", "cifar10", "random"}),
        dfkd::option_strings("ops", all_but_invert(),
                             "operations allowed; a policy step outside them is skipped. Invert is "
                             "left out by default: a white-background digit is off the data")
            .non_empty(),
        dfkd::option_real("max_translate", 0.15,
                          "largest translation as a fraction of the image side (torchvision: "
                          "150/331 = 0.45, which moves a digit out of its frame)")
            .at_least(0.0)
            .at_most(1.0),
        dfkd::option_real("fill", 0.0,
                          "pixel value in [0, 1] of what geometric operations bring in: the "
                          "background (0 for MNIST/Fashion-MNIST; the reference's CIFAR fill is "
                          "128/255)")
            .at_least(0.0)
            .at_most(1.0)};
    return info;
  }

  AutoAugment(const dfkd::Options& o, const dfkd::DataShape& shape)
      : learned_(o.string("policy") == "svhn"      ? &svhn_policy()
                 : o.string("policy") == "cifar10" ? &cifar10_policy()
                                                   : nullptr),
        max_translate_(o.real("max_translate")),
        fill_(o.real("fill")),
        mean_(shape.pixel_mean),
        std_(shape.pixel_std) {
    const auto& in = shape.input_shape;
    if (in.size() != 3 || (in[0] != 1 && in[0] != 3) || mean_.size() != static_cast<size_t>(in[0]))
      throw dfkd::ConfigError(fmt::format(
          "autoaugment works on 1- or 3-channel images with a known pixel normalisation; this "
          "dataset's samples have shape [{}]{}",
          fmt::join(in, ", "), mean_.empty() ? " and it declares no pixel_mean/pixel_std" : ""));
    for (const auto& name : o.strings("ops")) {
      try {
        const Op op = dfkd::autoaugment::op_named(name);
        allowed_.push_back(op);
        allows_[static_cast<size_t>(op)] = true;
      } catch (const std::invalid_argument& e) {
        throw dfkd::ConfigError(e.what());
      }
    }
  }

  dfkd::Batch apply(dfkd::Batch batch, torch::Generator& rng) const override {
    const int64_t n = batch.x.size(0);
    // Every draw on every batch (one set per image), so the stream does not depend on outcomes.
    // The random policy draws (and ignores) a pick as well, over svhn's size: the stream E1 ran on.
    const int64_t policy_size = static_cast<int64_t>((learned_ ? *learned_ : svhn_policy()).size());
    const auto pick_t = torch::randint(policy_size, {n}, rng, torch::kLong);
    const auto chance_t = torch::rand({n, 2}, rng, torch::kFloat64);
    const auto sign_t = torch::randint(2, {n, 2}, rng, torch::kLong);
    const auto op_t =
        torch::randint(static_cast<int64_t>(allowed_.size()), {n, 2}, rng, torch::kLong);
    const auto level_t = torch::randint(dfkd::autoaugment::kLevels, {n, 2}, rng, torch::kLong);
    const auto pick = pick_t.accessor<int64_t, 1>();
    const auto chance = chance_t.accessor<double, 2>();
    const auto sign = sign_t.accessor<int64_t, 2>();
    const auto random_op = op_t.accessor<int64_t, 2>();
    const auto random_level = level_t.accessor<int64_t, 2>();
    auto pixels = dfkd::autoaugment::to_pixels(batch.x, mean_, std_);
    const int64_t side = batch.x.size(2);
    for (int slot = 0; slot < 2; ++slot) {
      std::vector<std::vector<int64_t>> samples(dfkd::autoaugment::op_names().size());
      std::vector<std::vector<double>> magnitudes(samples.size());
      for (int64_t i = 0; i < n; ++i) {
        const Step s = learned_ ? (*learned_)[static_cast<size_t>(pick[i])][slot]
                                : Step{allowed_[static_cast<size_t>(random_op[i][slot])], 0.5,
                                       static_cast<int>(random_level[i][slot])};
        if (chance[i][slot] >= s.probability || !allows_[static_cast<size_t>(s.op)]) continue;
        double m = dfkd::autoaugment::magnitude(s.op, s.level, side, max_translate_);
        if (dfkd::autoaugment::is_signed(s.op) && sign[i][slot] == 0) m = -m;
        samples[static_cast<size_t>(s.op)].push_back(i);
        magnitudes[static_cast<size_t>(s.op)].push_back(m);
      }
      for (size_t k = 0; k < samples.size(); ++k) {
        if (samples[k].empty()) continue;
        const auto idx = torch::tensor(samples[k], torch::kLong).to(pixels.device());
        const auto out = dfkd::autoaugment::apply_op(
            static_cast<Op>(k), pixels.index_select(0, idx), torch::tensor(magnitudes[k]), fill_);
        pixels.index_copy_(0, idx, out);
      }
    }
    batch.x = dfkd::autoaugment::from_pixels(pixels, mean_, std_).to(batch.x.scalar_type());
    return batch;
  }

 private:
  /// The learned policy (svhn, cifar10); null for the random policy, which draws its steps.
  const std::vector<SubPolicy>* learned_;
  double max_translate_, fill_;
  std::vector<double> mean_, std_;
  std::vector<Op> allowed_;  ///< the `ops` option, in its order (the random policy draws from it)
  std::vector<bool> allows_ = std::vector<bool>(dfkd::autoaugment::op_names().size());
};

}  // namespace dfkd_autoaugment

DFKD_PLUGIN(augmentation, "autoaugment", "1.0.0", dfkd_autoaugment::AutoAugment)
