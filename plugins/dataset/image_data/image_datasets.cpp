#include "image_datasets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>

#include "idx_file.hpp"
#include "label_subset.hpp"

#ifndef DFKD_IMAGE_DATA_REPO_DATA
#error "DFKD_IMAGE_DATA_REPO_DATA (<repo>/data) must be defined by the build"
#endif

namespace dfkd_image {
namespace fs = std::filesystem;
using dfkd::ConfigError;
using dfkd::DataError;

// ---------------------------------------------------------------------------------------------
// Specs

namespace {

constexpr int64_t kImageSize = 32;  // every model of the paper takes 32x32 inputs

const char* kSubsetDocFraction =
    "fraction of the training split to keep, stratified by class: round(fraction x N) samples, "
    "each class floor(fraction x n_c) or one more (largest remainders); for one subset_seed a "
    "smaller fraction is a subset of a larger one; the test split is never subsetted; 1.0 = all; "
    "exclusive with train_per_class";
const char* kSubsetDocPerClass =
    "keep exactly this many training samples of every class (0 = all); exclusive with "
    "train_fraction < 1";
const char* kSubsetDocSeed =
    "seed of the subset selection, independent of the run seed so every run of a cell trains on "
    "the same labelled samples";
const char* kValidationDocSize =
    "hold out this many training images as a validation split (0 = none), stratified by class "
    "(each class n x n_c / N, floored, the rest to the largest remainders), before "
    "train_fraction / train_per_class select the training split from what remains; no method "
    "ever receives them; the engine logs val_accuracy and val_loss on them every epoch";
const char* kValidationDocSeed =
    "seed of the validation hold-out, independent of subset_seed and of the run seed";

std::string idx_dir_doc(const std::string& subdir) {
  return fmt::format(
      "directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
      "and t10k-labels-idx1-ubyte, each raw or gzipped (.gz; the raw file is used when both "
      "exist); \"\" = $DFKD_DATA/{0} when DFKD_DATA is set, else <repo>/data/{0}",
      subdir);
}

}  // namespace

IdxDatasetSpec mnist_spec() {
  IdxDatasetSpec s;
  s.plugin = "mnist";
  s.title = "MNIST";
  s.doc =
      "MNIST digits, 10 classes, 28x28 greyscale resized to 1x32x32 (bilinear), normalised with "
      "the full MNIST training set's mean 0.1307 and std 0.3081 (as DFAD/DAFL); no augmentation. "
      "By default the full MNIST (60000 train / 10000 test, scripts/mnist-full.sh); variant "
      "\"subset\" is the 10,000-digit subset of scripts/mnist-subset.sh (8000 / 2000) for fast "
      "tests (docs/data.md)";
  s.default_dir = "";
  s.subdir = "mnist";
  s.dir_doc = idx_dir_doc("mnist") +
              " for variant full, <...>/mnist-subset for variant subset (where scripts/setup.sh "
              "puts them)";
  s.missing_hint =
      "run `bash scripts/mnist-full.sh` (scripts/setup.sh runs it) to install the full MNIST in "
      "<repo>/data/mnist, or point the `dir` option (or DFKD_DATA, holding mnist/) at a directory "
      "with the MNIST IDX files";
  s.norm = {{0.1307}, {0.3081}};
  s.variants = {
      {"full", "mnist", 60000, 10000,
       "run `bash scripts/mnist-full.sh` (scripts/setup.sh runs it; it replaces an older "
       "checkout's 8k subset there) to install the full MNIST in <repo>/data/mnist, or give "
       "DFKD_DATA a mnist/ folder with the official files"},
      {"subset", "mnist-subset", 8000, 2000,
       "run `bash scripts/mnist-subset.sh` (scripts/setup.sh runs it) to build the 10,000-digit "
       "subset in <repo>/data/mnist-subset (under DFKD_DATA: run it with $DFKD_DATA/mnist-subset "
       "as its argument)"}};
  return s;
}

IdxDatasetSpec fashion_mnist_spec() {
  IdxDatasetSpec s;
  s.plugin = "fashion_mnist";
  s.title = "Fashion-MNIST";
  // 0.2860 / 0.3530 are Fashion-MNIST's own training-set pixel mean and std (over all 60000 x 784
  // pixels in [0, 1]); tests/mnist_idx_test.cpp recomputes them from the installed files.
  s.doc =
      "Fashion-MNIST (Zalando article images), 10 classes, 28x28 greyscale resized to 1x32x32 "
      "(bilinear), normalised with its own training-set mean 0.2860 and std 0.3530; no "
      "augmentation. Default files: Debian package dataset-fashion-mnist";
  s.default_dir = "/usr/share/datasets/fashion-mnist";
  s.subdir = "fashion-mnist";
  s.dir_doc =
      "directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
      "and t10k-labels-idx1-ubyte, each raw or gzipped (.gz; the raw file is used when both "
      "exist); the default is where the Debian package dataset-fashion-mnist installs them; \"\" = "
      "$DFKD_DATA/fashion-mnist when DFKD_DATA is set, else <repo>/data/fashion-mnist";
  s.missing_hint =
      "install the Debian package dataset-fashion-mnist (scripts/setup.sh does), or point the "
      "`dir` option at a directory with the Fashion-MNIST IDX files";
  s.norm = {{0.2860}, {0.3530}};
  return s;
}

CifarDatasetSpec cifar10_spec() {
  CifarDatasetSpec s;
  s.plugin = "cifar10";
  s.doc =
      "CIFAR-10 (binary version), 10 classes, 3x32x32, normalised with mean (0.4914, 0.4822, "
      "0.4465) and std (0.2023, 0.1994, 0.2010) as DFAD; training batches get a random crop "
      "(4 pixels of zero padding) and a horizontal flip";
  s.format = cifar10_format();
  s.subdir = "cifar-10-batches-bin";
  s.train_files = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                   "data_batch_5.bin"};
  s.test_files = {"test_batch.bin"};
  s.norm = {{0.4914, 0.4822, 0.4465}, {0.2023, 0.1994, 0.2010}};
  return s;
}

CifarDatasetSpec cifar100_spec() {
  CifarDatasetSpec s;
  s.plugin = "cifar100";
  s.doc =
      "CIFAR-100 (binary version), 100 fine or 20 coarse classes, 3x32x32, normalised with the "
      "CIFAR-10 mean (0.4914, 0.4822, 0.4465) and std (0.2023, 0.1994, 0.2010) as DFAD does for "
      "both; training batches get a random crop (4 pixels of zero padding) and a horizontal flip";
  s.format = cifar100_format();
  s.subdir = "cifar-100-binary";
  s.train_files = {"train.bin"};
  s.test_files = {"test.bin"};
  s.norm = {{0.4914, 0.4822, 0.4465}, {0.2023, 0.1994, 0.2010}};
  return s;
}

namespace {
std::vector<dfkd::OptionSpec> subset_options() {
  return {dfkd::option_real("train_fraction", 1.0, kSubsetDocFraction).greater_than(0).at_most(1),
          dfkd::option_int("train_per_class", 0, kSubsetDocPerClass).at_least(0),
          dfkd::option_int("subset_seed", 0, kSubsetDocSeed),
          dfkd::option_int("validation_size", 0, kValidationDocSize).at_least(0),
          dfkd::option_int("validation_seed", 0, kValidationDocSeed).at_least(0)};
}

dfkd::OptionSpec variant_option(const IdxDatasetSpec& spec) {
  std::vector<std::string> names, parts;
  for (const auto& v : spec.variants) {
    names.push_back(v.name);
    parts.push_back(fmt::format("{}: <data root>/{} ({} train / {} test images, checked)", v.name,
                                v.subdir, v.train_count, v.test_count));
  }
  return dfkd::option_string(
      "variant", names.front(),
      fmt::format("which {} files dir \"\" means: {}; with dir set, leave it at {}", spec.title,
                  fmt::join(parts, "; "), names.front()),
      names);
}
}  // namespace

dfkd::PluginInfo idx_dataset_info(const IdxDatasetSpec& spec) {
  dfkd::PluginInfo info;
  info.doc = spec.doc;
  info.options = {dfkd::option_string("dir", spec.default_dir, spec.dir_doc)};
  if (!spec.variants.empty()) info.options.push_back(variant_option(spec));
  for (auto& o : subset_options()) info.options.push_back(std::move(o));
  return info;
}

dfkd::PluginInfo cifar_dataset_info(const CifarDatasetSpec& spec) {
  dfkd::PluginInfo info;
  info.doc = spec.doc;
  info.options = {
      dfkd::option_string(
          "dir", "",
          fmt::format("directory holding {}, {} (the official binary version, extracted); \"\" = "
                      "$DFKD_DATA/{} when DFKD_DATA is set, else <repo>/data/{}",
                      fmt::join(spec.train_files, ", "), fmt::join(spec.test_files, ", "),
                      spec.subdir, spec.subdir)),
      dfkd::option_bool("augment", true,
                        "augment training batches: random 32x32 crop of the image zero-padded by "
                        "4 pixels, then a horizontal flip with probability 0.5, per sample, drawn "
                        "from the run's batch stream"),
  };
  if (spec.format.label_names.size() == 2)
    info.options.push_back(
        dfkd::option_string("labels", "fine",
                            "which CIFAR-100 labels to train and test on: fine (100 classes) or "
                            "coarse (20 superclasses)",
                            {"fine", "coarse"}));
  for (auto& o : subset_options()) info.options.push_back(std::move(o));
  return info;
}

// ---------------------------------------------------------------------------------------------
// Directories and files

std::string repo_data_root() {
  return DFKD_IMAGE_DATA_REPO_DATA;
}

DataDir resolve_data_dir(const std::string& dir_option, const std::string& subdir) {
  if (!dir_option.empty()) return {fs::path(dir_option), "the dir option"};
  const char* env = std::getenv("DFKD_DATA");
  if (env && *env)
    return {fs::path(env) / subdir,
            fmt::format("dir \"\" and DFKD_DATA={}, so $DFKD_DATA/{}", env, subdir)};
  return {fs::path(repo_data_root()) / subdir,
          fmt::format("dir \"\" and DFKD_DATA unset, so <repo>/data/{}", subdir)};
}

namespace {

[[noreturn]] void throw_missing(const std::string& plugin, const DataDir& dir,
                                const std::vector<std::string>& missing,
                                const std::vector<std::string>& expected, const std::string& hint) {
  std::error_code ec;
  const std::string state = fs::is_directory(dir.path, ec)
                                ? fmt::format("{} missing", fmt::join(missing, ", "))
                                : std::string("no such directory");
  throw DataError(fmt::format("{}: data files not found in {} ({}): expected {}, found {}; {}",
                              plugin, dir.path.string(), dir.how, fmt::join(expected, ", "), state,
                              hint));
}

void check_subset_options(const std::string& plugin, const dfkd::Options& o) {
  const double fraction = o.real("train_fraction");
  const int64_t per_class = o.integer("train_per_class"), seed = o.integer("subset_seed");
  if (!(fraction > 0.0 && fraction <= 1.0))
    throw ConfigError(fmt::format("{}: option train_fraction: expected a real in (0, 1], found {}",
                                  plugin, fraction));
  if (per_class < 0)
    throw ConfigError(
        fmt::format("{}: option train_per_class: expected an integer >= 0 (0 = all), found {}",
                    plugin, per_class));
  if (per_class > 0 && fraction < 1.0)
    throw ConfigError(fmt::format(
        "{}: options train_fraction ({}) and train_per_class ({}) both select a subset: expected "
        "at most one of them set",
        plugin, fraction, per_class));
  if (seed < 0)
    throw ConfigError(
        fmt::format("{}: option subset_seed: expected an integer >= 0, found {}", plugin, seed));
  // Whether validation_size fits the training split is known only once the files are read.
  for (const char* name : {"validation_size", "validation_seed"})
    if (o.integer(name) < 0)
      throw ConfigError(fmt::format("{}: option {}: expected an integer >= 0, found {}", plugin,
                                    name, o.integer(name)));
}

/// Splits a raw training split: first the validation hold-out (returned; empty [0, ...] when
/// validation_size is 0), then the subset options on what remains. Both before the float
/// conversion, so a small subset never costs the memory of the whole split.
RawImages split_train(const std::string& plugin, const dfkd::Options& o, int64_t num_classes,
                      torch::Tensor& pixels, torch::Tensor& labels) {
  const int64_t n_val = o.integer("validation_size");
  RawImages validation{pixels.narrow(0, 0, 0), labels.narrow(0, 0, 0)};
  std::string owner = plugin;
  if (n_val > 0) {
    const auto split = stratified_holdout(
        labels, num_classes, n_val, static_cast<uint64_t>(o.integer("validation_seed")), plugin);
    validation = {pixels.index_select(0, split.held), labels.index_select(0, split.held)};
    pixels = pixels.index_select(0, split.rest);
    labels = labels.index_select(0, split.rest);
    owner = fmt::format("{} (training split after holding out validation_size {})", plugin, n_val);
  }
  const auto keep =
      stratified_subset(labels, num_classes, o.real("train_fraction"), o.integer("train_per_class"),
                        static_cast<uint64_t>(o.integer("subset_seed")), owner);
  if (keep.defined()) {
    pixels = pixels.index_select(0, keep);
    labels = labels.index_select(0, keep);
  }
  return validation;
}

/// The variant `dir: ""` stands for (-1: dir given, or a spec without variants).
int choose_variant(const IdxDatasetSpec& spec, const dfkd::Options& o) {
  if (spec.variants.empty()) return -1;
  const auto name = o.string("variant");
  if (!o.string("dir").empty()) {
    if (name != spec.variants.front().name)
      throw ConfigError(fmt::format(
          "{}: option variant: \"{}\" names files under the data root, but dir is set ({}): "
          "expected variant \"{}\" (the default) with dir, or dir \"\" with variant \"{}\"",
          spec.plugin, name, o.string("dir"), spec.variants.front().name, name));
    return -1;
  }
  for (size_t i = 0; i < spec.variants.size(); ++i)
    if (spec.variants[i].name == name) return static_cast<int>(i);
  throw ConfigError(fmt::format("{}: option variant: unknown variant \"{}\"", spec.plugin, name));
}

/// A variant's files must hold its image counts: catches a directory holding other files.
void check_variant_counts(const IdxDatasetSpec& spec, const IdxVariant& v, const DataDir& dir,
                          int64_t train, int64_t test) {
  if (train == v.train_count && test == v.test_count) return;
  throw DataError(fmt::format(
      "{}: variant {}: {} ({}) holds {} train / {} test images, expected {} / {}; {}", spec.plugin,
      v.name, dir.path.string(), dir.how, train, test, v.train_count, v.test_count, v.hint));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Datasets

IdxImageDataset::IdxImageDataset(const IdxDatasetSpec& spec, const dfkd::Options& o)
    : spec_(spec), options_(o), variant_(choose_variant(spec, o)) {
  check_subset_options(spec.plugin, o);
  if (variant_ >= 0) {
    spec_.subdir = spec.variants[variant_].subdir;
    spec_.missing_hint = spec.variants[variant_].hint;
  }
  resolved_ = resolve_data_dir(o.string("dir"), spec_.subdir);
  dir_ = resolved_.path;
  shape_ = {{1, kImageSize, kImageSize}, 10, spec.norm.mean, spec.norm.std};
}

void IdxImageDataset::read_splits() const {
  const auto& spec = spec_;
  const auto& dir = resolved_;
  // Each file raw or gzipped; the raw one when both exist (no decompression needed).
  const std::vector<std::string> bases = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::vector<fs::path> files;
  std::vector<std::string> expected, missing;
  for (const auto& base : bases) {
    std::error_code ec;
    expected.push_back(base + "[.gz]");
    if (fs::is_regular_file(dir.path / base, ec))
      files.push_back(dir.path / base);
    else if (fs::is_regular_file(dir.path / (base + ".gz"), ec))
      files.push_back(dir.path / (base + ".gz"));
    else
      missing.push_back(base + "[.gz]");
  }
  if (!missing.empty()) throw_missing(spec.plugin, dir, missing, expected, spec.missing_hint);

  constexpr int64_t kClasses = 10, kRows = 28, kCols = 28;
  auto train = read_idx_split(files[0], files[1], kClasses, kRows, kCols);
  auto test = read_idx_split(files[2], files[3], kClasses, kRows, kCols);
  if (variant_ >= 0)
    check_variant_counts(spec, spec.variants[variant_], dir, train.labels.size(0),
                         test.labels.size(0));
  const auto val = split_train(spec.plugin, options_, kClasses, train.pixels, train.labels);

  train_ = {prepare_images(train.pixels, kImageSize, spec.norm), train.labels};
  test_ = {prepare_images(test.pixels, kImageSize, spec.norm), test.labels};
  validation_ = {prepare_images(val.pixels, kImageSize, spec.norm), val.labels};
}

CifarDataset::CifarDataset(const CifarDatasetSpec& spec, const dfkd::Options& o)
    : spec_(spec),
      options_(o),
      resolved_(resolve_data_dir(o.string("dir"), spec.subdir)),
      augment_(o.boolean("augment")),
      fill_(spec.norm.zero_pixel()) {
  check_subset_options(spec.plugin, o);
  // CIFAR-10 has one label column; CIFAR-100 has coarse (0) and fine (1).
  if (spec.format.label_names.size() == 2) label_column_ = o.string("labels") == "coarse" ? 0 : 1;
  dir_ = resolved_.path;
  shape_ = {{3, kImageSize, kImageSize},
            spec.format.label_classes[label_column_],
            spec.norm.mean,
            spec.norm.std};
}

void CifarDataset::read_splits() const {
  const auto& spec = spec_;
  const auto& dir = resolved_;
  const int64_t column = label_column_;
  const int64_t num_classes = shape_.num_classes;
  std::vector<std::string> expected, missing;
  for (const auto* list : {&spec.train_files, &spec.test_files})
    for (const auto& name : *list) {
      std::error_code ec;
      expected.push_back(name);
      if (!fs::is_regular_file(dir.path / name, ec)) missing.push_back(name);
    }
  if (!missing.empty())
    throw_missing(
        spec.plugin, dir, missing, expected,
        fmt::format("{} cannot be downloaded on this machine: put the official binary version "
                    "there (its archive extracts to {}/), or point the `dir` option or DFKD_DATA "
                    "(holding {}/) at it",
                    spec.format.title, spec.subdir, spec.subdir));

  std::vector<fs::path> train_paths, test_paths;
  for (const auto& name : spec.train_files) train_paths.push_back(dir.path / name);
  for (const auto& name : spec.test_files) test_paths.push_back(dir.path / name);
  auto train = read_cifar_files(train_paths, spec.format);
  auto test = read_cifar_files(test_paths, spec.format);
  auto train_labels = train.labels.select(1, column).contiguous();
  auto test_labels = test.labels.select(1, column).contiguous();
  const auto val = split_train(spec.plugin, options_, num_classes, train.pixels, train_labels);

  train_ = {prepare_images(train.pixels, kImageSize, spec.norm), train_labels};
  test_ = {prepare_images(test.pixels, kImageSize, spec.norm), test_labels};
  validation_ = {prepare_images(val.pixels, kImageSize, spec.norm), val.labels};
}

torch::Tensor CifarDataset::augment(const torch::Tensor& batch, torch::Generator& rng) const {
  if (!augment_) return batch;
  return random_crop_flip(batch, /*pad=*/4, fill_, /*flip_p=*/0.5, rng);
}

}  // namespace dfkd_image
