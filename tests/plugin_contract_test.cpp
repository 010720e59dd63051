// Interface tests over every plugin found in DFKD_PLUGIN_DIR (one TEST_P suite instantiated
// with whatever is built): it loads, its descriptor and options are sound, and an instance built
// from the default options does its job on tiny seeded inputs.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dfkd/errors.hpp"
#include "dfkd/sdk.hpp"
#include "loader/plugin_host.hpp"

namespace {

namespace fs = std::filesystem;
using dfkd::PluginKind;
using dfkd::host::LoadedPlugin;
using dfkd::host::PluginHost;

/// Tiny problem every model, generator and method is built for.
const dfkd::DataShape kTinyShape{{2}, 2};
/// Tried when a model or generator refuses the tiny shape with a ConfigError (image-only
/// architectures).
const dfkd::DataShape kImageShape{{3, 32, 32}, 10};
constexpr int64_t kBatch = 4;

/// The plugins of DFKD_PLUGIN_DIR, loaded once per process (the libraries stay loaded anyway).
PluginHost& contract_host() {
  static PluginHost* host = [] {
    auto* h = new PluginHost();
    if (fs::is_directory(DFKD_PLUGIN_DIR)) h->load_all({DFKD_PLUGIN_DIR});
    return h;
  }();
  return *host;
}

struct PluginCase {
  PluginKind kind;
  std::string name;
};

// Readable test listings (ctest shows GetParam()); gtest would otherwise dump the bytes.
void PrintTo(const PluginCase& c, std::ostream* os) {
  *os << dfkd::to_string(c.kind) << ' ' << c.name;
}

std::vector<PluginCase> plugin_cases() {
  std::vector<PluginCase> cases;
  for (const auto* p : contract_host().plugins()) cases.push_back({p->entry.kind, p->entry.name});
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<PluginCase>& info) {
  std::string s = fmt::format("{}_{}", dfkd::to_string(info.param.kind), info.param.name);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

std::string json_path(const LoadedPlugin& p) {
  return fmt::format("{}s.{}.options", dfkd::to_string(p.entry.kind), p.entry.name);
}

bool has_required_options(const LoadedPlugin& p) {
  for (const auto& o : p.entry.info.options)
    if (o.default_value.is_null()) return true;
  return false;
}

dfkd::Options default_options(const LoadedPlugin& p) {
  return dfkd::Options(p.entry.name, dfkd::resolve_options(p.entry.info.options, {}, json_path(p)));
}

bool all_finite(const torch::Tensor& t) {
  return torch::isfinite(t).all().item<bool>();
}

std::vector<torch::Tensor> snapshot(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

bool changed(torch::nn::Module& m, const std::vector<torch::Tensor>& before) {
  const auto now = m.parameters();
  for (size_t i = 0; i < now.size(); ++i)
    if (!torch::equal(now[i].detach(), before[i])) return true;
  return false;
}

/// Random batches of one split, drawn with a seeded generator.
class SplitBatches : public dfkd::BatchSource {
 public:
  SplitBatches(const dfkd::Split& split, int64_t batch_size)
      : split_(split), batch_size_(batch_size), rng_(dfkd::make_generator(7, "contract_data")) {}
  dfkd::Batch next() override {
    auto idx = torch::randint(split_.x.size(0), {batch_size_}, rng_, torch::kLong);
    return {split_.x.index_select(0, idx), split_.y.index_select(0, idx)};
  }
  int64_t size() const override { return split_.x.size(0); }

 private:
  const dfkd::Split& split_;
  int64_t batch_size_;
  torch::Generator rng_;
};

/// Another source's batches with every label mixed (partner = a seeded permutation, y weight
/// 0.3), as a label-mixing augmentation would hand them to a method.
class MixedBatches final : public dfkd::BatchSource {
 public:
  explicit MixedBatches(dfkd::BatchSource& inner)
      : inner_(inner), rng_(dfkd::make_generator(9, "contract_mixing")) {}
  dfkd::Batch next() override {
    auto b = inner_.next();
    const auto perm = torch::randperm(b.y.size(0), rng_, torch::kLong);
    return dfkd::mix_labels(std::move(b), perm, torch::tensor(0.3));
  }
  int64_t size() const override { return inner_.size(); }

 private:
  dfkd::BatchSource& inner_;
  torch::Generator rng_;
};

/// Student, frozen teacher, generator and real data for method and regularizer checks, all
/// built from the bundled reference plugins with their default options.
struct Kit {
  std::unique_ptr<dfkd::Model> student;
  std::unique_ptr<dfkd::Model> teacher;
  std::unique_ptr<dfkd::Generator> generator;
  std::unique_ptr<dfkd::Dataset> data;
  dfkd::Split images;  ///< the image kit's random "training set"
  dfkd::DataShape shape;
  std::unique_ptr<SplitBatches> batches;
  std::function<std::unique_ptr<dfkd::Model>()> make_student;  ///< another student, as the host's
};

/// Empty string when the kit could be built, else what is missing.
std::string make_kit(Kit& kit) {
  const PluginHost& host = contract_host();
  const auto* mlp = host.find(PluginKind::Model, "mlp");
  const auto* gen = host.find(PluginKind::Generator, "mlp_generator");
  const auto* moons = host.find(PluginKind::Dataset, "two_moons");
  if (!mlp || !gen || !moons) return "needs the mlp, mlp_generator and two_moons plugins";
  torch::manual_seed(0);
  kit.data = moons->entry.make_dataset(default_options(*moons));
  const dfkd::DataShape shape = kit.data->shape();
  kit.student = mlp->entry.make_model(default_options(*mlp), shape);
  kit.teacher = mlp->entry.make_model(default_options(*mlp), shape);
  kit.teacher->module().eval();
  for (auto& p : kit.teacher->module().parameters()) p.requires_grad_(false);
  kit.generator = gen->entry.make_generator(default_options(*gen), shape);
  kit.batches = std::make_unique<SplitBatches>(kit.data->train(), kBatch);
  kit.shape = shape;
  kit.make_student = [mlp, shape] { return mlp->entry.make_model(default_options(*mlp), shape); };
  return {};
}

/// The same on 1x32x32 images: LeNet-5 teacher, LeNet-5-half student, a narrow conv_generator and
/// seeded random images with labels, for methods that read convolutional feature taps (AT,
/// FitNet, FT use LeNet's conv1/conv2 by default).
std::string make_image_kit(Kit& kit) {
  const PluginHost& host = contract_host();
  const auto* lenet = host.find(PluginKind::Model, "lenet5");
  const auto* gen = host.find(PluginKind::Generator, "conv_generator");
  if (!lenet || !gen) return "needs the lenet5 and conv_generator plugins";
  torch::manual_seed(0);
  kit.shape = {{1, 32, 32}, 10};
  auto options = [](const LoadedPlugin& p, nlohmann::json given) {
    return dfkd::Options(p.entry.name,
                         dfkd::resolve_options(p.entry.info.options, given, json_path(p)));
  };
  kit.student = lenet->entry.make_model(options(*lenet, {{"width", 0.5}}), kit.shape);
  kit.teacher = lenet->entry.make_model(options(*lenet, {{"width", 1.0}}), kit.shape);
  kit.teacher->module().eval();
  for (auto& p : kit.teacher->module().parameters()) p.requires_grad_(false);
  kit.generator = gen->entry.make_generator(options(*gen, {{"ngf", 8}}), kit.shape);
  auto rng = dfkd::make_generator(3, "contract_images");
  kit.images.x = torch::randn({32, 1, 32, 32}, rng);
  kit.images.y = torch::randint(10, {32}, rng, torch::kLong);
  kit.batches = std::make_unique<SplitBatches>(kit.images, kBatch);
  kit.make_student = [lenet, options, shape = kit.shape] {
    return lenet->entry.make_model(options(*lenet, {{"width", 0.5}}), shape);
  };
  return {};
}

/// Builds a model or generator on the tiny shape, or on an image shape if it refuses that one.
template <class T, class Make>
std::unique_ptr<T> build_shaped(Make make, const dfkd::Options& options, dfkd::DataShape& shape) {
  shape = kTinyShape;
  try {
    return make(options, shape);
  } catch (const dfkd::ConfigError&) {
    shape = kImageShape;
    return make(options, shape);
  }
}

class PluginContract : public ::testing::TestWithParam<PluginCase> {
 protected:
  const LoadedPlugin& plugin() const {
    return contract_host().get(GetParam().kind, GetParam().name);
  }
};

// ==== loading and metadata ====

TEST(PluginContractDirectory, EveryLibraryLoads) {
  if (!fs::is_directory(DFKD_PLUGIN_DIR)) GTEST_SKIP() << "no plugin dir " << DFKD_PLUGIN_DIR;
  for (const auto& f : contract_host().failures()) ADD_FAILURE() << f.message;
}

TEST_P(PluginContract, Loads) {
  const auto& p = plugin();
  EXPECT_TRUE(fs::exists(p.file)) << p.file;
  EXPECT_EQ(p.file.extension(), ".so");
  EXPECT_EQ(p.file_sha256.size(), 64u);
}

TEST_P(PluginContract, DescriptorFieldsAreValid) {
  const auto& p = plugin();
  EXPECT_EQ(p.entry.kind, GetParam().kind);
  EXPECT_FALSE(p.entry.name.empty());
  EXPECT_FALSE(p.entry.version.empty());
  EXPECT_EQ(p.interface_id, dfkd::interface_id(p.entry.kind));
  EXPECT_EQ(p.torch_version, TORCH_VERSION);
  EXPECT_FALSE(p.entry.info.doc.empty()) << "info().doc is shown by `dfkd plugins`";
}

TEST_P(PluginContract, EveryOptionIsDocumentedAndTyped) {
  const auto& p = plugin();
  std::set<std::string> names;
  for (const auto& o : p.entry.info.options) {
    SCOPED_TRACE("option " + o.name);
    EXPECT_FALSE(o.name.empty());
    EXPECT_TRUE(names.insert(o.name).second) << "declared twice";
    EXPECT_FALSE(o.doc.empty()) << "every option needs a doc";
    if (!o.choices.empty()) EXPECT_EQ(o.type, dfkd::OptionType::String);
    if (o.default_value.is_null()) continue;  // required
    // The default must itself be a valid value of the declared type (and choice).
    EXPECT_NO_THROW(dfkd::resolve_options(p.entry.info.options,
                                          nlohmann::json{{o.name, o.default_value}}, json_path(p)));
  }
}

// Ranges (OptionSpec::at_least & co.) only on numeric options, and a value just outside one is
// refused naming the option's JSON path, so every plugin gets parse-time validation for free.
TEST_P(PluginContract, OptionRangesRejectValuesOutsideThemNamingThePath) {
  const auto& p = plugin();
  for (const auto& o : p.entry.info.options) {
    SCOPED_TRACE("option " + o.name);
    const bool integer =
        o.type == dfkd::OptionType::Integer || o.type == dfkd::OptionType::IntegerList;
    const bool real = o.type == dfkd::OptionType::Real || o.type == dfkd::OptionType::RealList;
    const bool list =
        o.type == dfkd::OptionType::IntegerList || o.type == dfkd::OptionType::RealList;
    if (!integer && !real) {
      EXPECT_FALSE(o.min_value || o.max_value) << "a range on a non-numeric option";
      continue;
    }
    auto outside = [&](double bound, bool exclusive, double step) -> nlohmann::json {
      const double v = exclusive ? bound : bound + step;
      const nlohmann::json x =
          integer ? nlohmann::json(static_cast<int64_t>(v)) : nlohmann::json(v);
      return list ? nlohmann::json::array({x}) : x;
    };
    std::vector<nlohmann::json> bad;
    if (o.min_value) bad.push_back(outside(*o.min_value, o.min_exclusive, integer ? -1.0 : -0.5));
    if (o.max_value) bad.push_back(outside(*o.max_value, o.max_exclusive, integer ? 1.0 : 0.5));
    if (real)
      bad.push_back(list ? nlohmann::json::array({1e300}) : nlohmann::json(1e300));  // not a float
    for (const auto& v : bad) {
      try {
        dfkd::resolve_options(p.entry.info.options, {{o.name, v}}, json_path(p));
        ADD_FAILURE() << v.dump() << " was accepted";
      } catch (const dfkd::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(json_path(p) + "." + o.name), std::string::npos)
            << e.what();
      }
    }
  }
}

TEST_P(PluginContract, DefaultOptionsRoundTrip) {
  const auto& p = plugin();
  const std::string path = json_path(p);
  if (has_required_options(p)) {
    EXPECT_THROW(dfkd::resolve_options(p.entry.info.options, {}, path), dfkd::ConfigError);
    return;
  }
  const nlohmann::json once = dfkd::resolve_options(p.entry.info.options, {}, path);
  const nlohmann::json twice = dfkd::resolve_options(p.entry.info.options, once, path);
  EXPECT_EQ(once, twice);
  EXPECT_EQ(once.dump(), twice.dump());
  EXPECT_EQ(once.size(), p.entry.info.options.size());
}

TEST_P(PluginContract, UnknownOptionIsRejectedNamingThePath) {
  const auto& p = plugin();
  const std::string path = json_path(p);
  try {
    dfkd::resolve_options(p.entry.info.options, {{"no_such_option", 1}}, path);
    FAIL() << "an unknown option key was accepted";
  } catch (const dfkd::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ".no_such_option"), std::string::npos) << e.what();
  }
}

// ==== behaviour with default options ====

void check_model(const LoadedPlugin& p) {
  dfkd::DataShape shape;
  auto model = build_shaped<dfkd::Model>(p.entry.make_model, default_options(p), shape);
  ASSERT_TRUE(model);
  auto gen = dfkd::make_generator(1, "contract_model");
  std::vector<int64_t> sizes{kBatch};
  sizes.insert(sizes.end(), shape.input_shape.begin(), shape.input_shape.end());
  model->module().eval();
  const dfkd::ModelOutput out = model->forward(torch::randn(sizes, gen));
  ASSERT_TRUE(out.logits.defined());
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{kBatch, shape.num_classes}));
  EXPECT_TRUE(all_finite(out.logits));
  for (const auto& tap : model->taps()) {
    SCOPED_TRACE("tap " + tap);
    auto it = out.features.find(tap);
    ASSERT_NE(it, out.features.end()) << "taps() lists it but forward() does not fill it";
    ASSERT_TRUE(it->second.defined());
    EXPECT_EQ(it->second.size(0), kBatch);
    EXPECT_TRUE(all_finite(it->second));
  }
  EXPECT_GT(model->cost().parameters, 0);
}

void check_generator(const LoadedPlugin& p) {
  dfkd::DataShape shape;
  auto generator = build_shaped<dfkd::Generator>(p.entry.make_generator, default_options(p), shape);
  ASSERT_TRUE(generator);
  EXPECT_GT(generator->latent_dim(), 0);
  auto rng = dfkd::make_generator(1, "contract_generator");
  const auto z = dfkd::sample_latent(*generator, kBatch, rng, torch::kCPU);
  const auto x = generator->forward(z);
  std::vector<int64_t> expected{kBatch};
  expected.insert(expected.end(), shape.input_shape.begin(), shape.input_shape.end());
  EXPECT_EQ(x.sizes(), expected);
  EXPECT_TRUE(all_finite(x));
}

void check_split(const dfkd::Split& s, const dfkd::DataShape& shape, const char* which) {
  SCOPED_TRACE(which);
  ASSERT_TRUE(s.x.defined() && s.y.defined());
  EXPECT_GT(s.x.size(0), 0);
  EXPECT_EQ(s.x.size(0), s.y.size(0));
  EXPECT_EQ(s.x.dim(), 1 + static_cast<int64_t>(shape.input_shape.size()));
  EXPECT_EQ(s.y.dim(), 1);
  if (s.y.numel() > 0) {
    EXPECT_GE(s.y.min().item<int64_t>(), 0);
    EXPECT_LT(s.y.max().item<int64_t>(), shape.num_classes);
  }
  EXPECT_TRUE(all_finite(s.x.to(torch::kFloat)));
}

void check_dataset(const LoadedPlugin& p) {
  // Construction and shape() must not need the data files (the host plans and reports costs on
  // machines without them); only the first use of a split reads them.
  auto data = p.entry.make_dataset(default_options(p));
  const auto shape = data->shape();
  EXPECT_FALSE(shape.input_shape.empty());
  EXPECT_GE(shape.num_classes, 2);
  try {
    data->train();
  } catch (const dfkd::DataError& e) {
    GTEST_SKIP() << "data files not available: " << e.what();
  }
  check_split(data->train(), shape, "train");
  check_split(data->test(), shape, "test");
  // Optional (none by default): when there is one it is a split like the others.
  const auto& val = data->validation();
  if (val.x.defined() && val.x.size(0) > 0) check_split(val, shape, "validation");
}

void check_regularizer(const LoadedPlugin& p) {
  Kit kit;
  if (auto missing = make_kit(kit); !missing.empty()) GTEST_SKIP() << missing;
  auto reg = p.entry.make_regularizer(default_options(p));
  auto rng = dfkd::make_generator(1, "contract_regularizer");
  const auto z = dfkd::sample_latent(*kit.generator, kBatch, rng, torch::kCPU);
  torch::Tensor term;
  if (reg->stage() == dfkd::RegularizerStage::Generator) {
    const auto x = kit.generator->forward(z);
    const auto t = kit.teacher->forward(x);
    const auto s = kit.student->forward(x);
    term = reg->generator_term({x, t, s});
  } else {
    torch::Tensor x;
    dfkd::ModelOutput t;
    {
      torch::NoGradGuard no_grad;
      x = kit.generator->forward(z);
      t = kit.teacher->forward(x);
    }
    const dfkd::Discrepancy l1 = [](const torch::Tensor& s, const torch::Tensor& t) {
      return (s - t).abs().mean();
    };
    term = reg->student_term({x, t, *kit.student, l1, rng});
  }
  ASSERT_TRUE(term.defined());
  EXPECT_EQ(term.dim(), 0) << "a regularizer term is a scalar, found sizes " << term.sizes();
  EXPECT_TRUE(all_finite(term));
  if (term.requires_grad()) EXPECT_NO_THROW(term.backward());
}

/// One setup + iteration of `method` in a context built from its traits.
void run_method(dfkd::Method& method, const dfkd::MethodTraits& traits, Kit& kit,
                dfkd::RegularizerSet* regularizers, dfkd::BatchSource* data = nullptr) {
  auto rng = dfkd::make_generator(1, "contract_method");
  dfkd::TrainContext ctx(*kit.student, torch::kCPU, kBatch, rng);
  ctx.data_shape = kit.shape;
  ctx.make_student = kit.make_student;
  if (traits.needs_teacher) ctx.teacher = kit.teacher.get();
  if (traits.needs_generator) ctx.generator = kit.generator.get();
  if (traits.uses_training_data) ctx.train_data = data ? data : kit.batches.get();
  if (traits.accepts_regularizers) ctx.regularizers = regularizers;
  method.setup(ctx);
  for (const auto& stage : method.pretraining(ctx)) {
    SCOPED_TRACE("pre-training stage " + stage.name);
    for (const auto& [name, value] : stage.iteration(ctx))
      EXPECT_TRUE(std::isfinite(value)) << name;
  }
  const auto before = snapshot(kit.student->module());
  const dfkd::StepMetrics metrics = method.iteration(ctx);
  EXPECT_FALSE(metrics.empty()) << "an iteration reports at least its loss";
  for (const auto& [name, value] : metrics) EXPECT_TRUE(std::isfinite(value)) << name;
  EXPECT_TRUE(changed(kit.student->module(), before)) << "one iteration left the student as it was";
}

// Methods run on the image kit (Table 1's networks); the MLP kit is the fallback when the image
// plugins are not built.
std::string make_method_kit(Kit& kit) {
  return make_image_kit(kit).empty() ? std::string() : make_kit(kit);
}

void check_method(const LoadedPlugin& p) {
  const auto& traits = p.entry.info.method_traits;
  {
    Kit kit;
    if (auto missing = make_method_kit(kit); !missing.empty()) GTEST_SKIP() << missing;
    auto method = p.entry.make_method(default_options(p));
    dfkd::RegularizerSet none;
    run_method(*method, traits, kit, &none);
  }
  if (traits.accepts_mixed_labels) {
    SCOPED_TRACE("on mixed labels (accepts_mixed_labels)");
    EXPECT_TRUE(traits.uses_training_data) << "mixed labels come with real data only";
    Kit kit;
    ASSERT_EQ(make_method_kit(kit), "");
    MixedBatches mixed(*kit.batches);
    auto method = p.entry.make_method(default_options(p));
    dfkd::RegularizerSet none;
    run_method(*method, traits, kit, &none, &mixed);
  }
  if (!traits.accepts_regularizers) return;
  // Again with every loaded regularizer attached (small weight): the reg_<name> terms are logged.
  std::vector<dfkd::RegularizerSet::Entry> entries;
  for (const auto* r : contract_host().plugins())
    if (r->entry.kind == PluginKind::Regularizer)
      entries.push_back({r->entry.name, 0.1, r->entry.make_regularizer(default_options(*r))});
  if (entries.empty()) return;
  SCOPED_TRACE("with every regularizer");
  Kit kit;
  ASSERT_EQ(make_method_kit(kit), "");
  dfkd::RegularizerSet set(std::move(entries));
  auto method = p.entry.make_method(default_options(p));
  run_method(*method, traits, kit, &set);
}

// Applied to seeded random images: keeps shape, dtype and labels; mixes labels only if its traits
// say so, and then validly; draws all randomness from the given generator.
void check_augmentation(const LoadedPlugin& p) {
  // MNIST's shape and normalisation (pixel-space policies need them).
  const dfkd::DataShape shape{{1, 28, 28}, 10, {0.1307}, {0.3081}};
  auto aug = p.entry.make_augmentation(default_options(p), shape);
  auto data_rng = dfkd::make_generator(5, "contract_augmentation_data");
  const auto x = torch::randn({kBatch, 1, 28, 28}, data_rng);
  const auto y = torch::randint(10, {kBatch}, data_rng, torch::kLong);
  auto rng = dfkd::make_generator(5, "contract_augmentation");
  auto again = dfkd::make_generator(5, "contract_augmentation");
  bool mixed_once = false;
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE("batch " + std::to_string(i));
    const auto out = aug->apply({x, y}, rng);
    const auto twin = aug->apply({x, y}, again);
    ASSERT_TRUE(out.x.defined());
    EXPECT_EQ(out.x.sizes(), x.sizes());
    EXPECT_EQ(out.x.scalar_type(), x.scalar_type());
    EXPECT_TRUE(all_finite(out.x));
    EXPECT_TRUE(torch::equal(out.y, y)) << "an augmentation keeps each sample's own label";
    EXPECT_TRUE(torch::equal(out.x, twin.x)) << "the same generator state gives the same batch";
    if (!out.mixed()) continue;
    mixed_once = true;
    EXPECT_TRUE(p.entry.info.augmentation_traits.mixes_labels)
        << "mixed labels without augmentation_traits.mixes_labels";
    EXPECT_EQ(out.y_mix.sizes(), y.sizes());
    EXPECT_TRUE(out.y_mix.ge(0).all().item<bool>() && out.y_mix.lt(10).all().item<bool>());
    EXPECT_EQ(out.y_weight.sizes(), y.sizes());
    EXPECT_TRUE(out.y_weight.ge(0).all().item<bool>() && out.y_weight.le(1).all().item<bool>());
  }
  if (p.entry.info.augmentation_traits.mixes_labels)
    EXPECT_TRUE(mixed_once) << "declares mixes_labels but mixed none of 20 batches";
}

/// Masks for the image kit's LeNet-5 teacher (convolutions and linear layers): each names a
/// parameter and has its shape and dtype, holds only 0 and 1, the same weights give the same
/// masks, and asking does not change the network (the host applies them).
void check_pruner(const LoadedPlugin& p) {
  Kit kit;
  if (auto missing = make_image_kit(kit); !missing.empty()) GTEST_SKIP() << missing;
  auto pruner = p.entry.make_pruner(default_options(p));
  auto& net = kit.teacher->module();
  std::map<std::string, torch::Tensor> before;
  for (const auto& param : net.named_parameters()) before[param.key()] = param.value().clone();
  const auto masks = pruner->masks(net);
  int64_t pruned = 0;
  for (const auto& [name, mask] : masks) {
    SCOPED_TRACE(name);
    ASSERT_EQ(before.count(name), 1u) << "a mask for a parameter the network does not have";
    EXPECT_EQ(mask.sizes(), before[name].sizes());
    EXPECT_EQ(mask.scalar_type(), before[name].scalar_type());
    EXPECT_TRUE(mask.eq(0).logical_or(mask.eq(1)).all().item<bool>()) << "a mask holds 0 and 1";
    pruned += mask.eq(0).sum().item<int64_t>();
  }
  EXPECT_GT(pruned, 0) << "default options prune nothing of LeNet-5";
  for (const auto& param : net.named_parameters())
    EXPECT_TRUE(torch::equal(param.value(), before[param.key()])) << param.key() << " changed";
  const auto again = pruner->masks(net);
  ASSERT_EQ(again.size(), masks.size());
  for (const auto& [name, mask] : masks)
    EXPECT_TRUE(again.count(name) && torch::equal(again.at(name), mask)) << name << " differs";
}

TEST_P(PluginContract, WorksWithDefaultOptions) {
  const auto& p = plugin();
  if (has_required_options(p)) GTEST_SKIP() << "has required options; nothing to default from";
  switch (p.entry.kind) {
    case PluginKind::Model:
      check_model(p);
      break;
    case PluginKind::Generator:
      check_generator(p);
      break;
    case PluginKind::Dataset:
      check_dataset(p);
      break;
    case PluginKind::Regularizer:
      check_regularizer(p);
      break;
    case PluginKind::Method:
      check_method(p);
      break;
    case PluginKind::Augmentation:
      check_augmentation(p);
      break;
    case PluginKind::Pruner:
      check_pruner(p);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Built, PluginContract, ::testing::ValuesIn(plugin_cases()), case_name);
// An empty plugin dir (plugins not built) is not an error of this suite.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PluginContract);

}  // namespace
