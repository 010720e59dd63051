#pragma once
/// The image datasets behind the mnist, fashion_mnist, cifar10 and cifar100 plugins. Each plugin
/// is a thin subclass (its own folder) naming one of the specs below; the tests build these
/// classes directly.
///
/// Whole splits are kept in memory as normalised float tensors [N, C, 32, 32]. The largest is the
/// CIFAR training split: 50000 x 3 x 32 x 32 x 4 B = 614 MB, acceptable on the 24 GiB machines
/// this runs on (the reference pipelines keep bytes and transform per sample; here a batch is a
/// cheap index_select and the host's dataset cache loads a split once per `dfkd run`).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <dfkd/sdk.hpp>

#include "cifar_file.hpp"
#include "image_transforms.hpp"

namespace dfkd_image {

/// Where a dataset's files are: the `dir` option, or for `dir: ""` the data root
/// ($DFKD_DATA when set and non-empty, else <repo>/data) joined with `subdir`.
struct DataDir {
  std::filesystem::path path;
  std::string how;  ///< how it was chosen, for error messages
};
DataDir resolve_data_dir(const std::string& dir_option, const std::string& subdir);
/// <repo>/data: the data root when DFKD_DATA is not set (the source tree of this build).
std::string repo_data_root();

/// One choice of the `variant` option: which directory `dir: ""` means and how many images its
/// splits must hold (checked only there, so a stale copy is caught, e.g. an older checkout whose
/// data/mnist still holds the subset).
struct IdxVariant {
  std::string name;    ///< "full"
  std::string subdir;  ///< under the data root
  int64_t train_count = 0;
  int64_t test_count = 0;
  std::string hint;  ///< what to do when the files are missing or the counts differ
};

/// What distinguishes MNIST from Fashion-MNIST (and any other 28x28 greyscale IDX dataset).
struct IdxDatasetSpec {
  std::string plugin;        ///< plugin name, prefixes messages
  std::string title;         ///< "MNIST"
  std::string doc;           ///< PluginInfo doc
  std::string default_dir;   ///< `dir` option default ("" = data root / subdir)
  std::string subdir;        ///< directory under the data root for `dir: ""`
  std::string dir_doc;       ///< `dir` option doc
  std::string missing_hint;  ///< what to do when the files are missing
  Normalization norm;
  /// Empty: no `variant` option. Else the first is the default and replaces subdir/missing_hint.
  std::vector<IdxVariant> variants;
};
IdxDatasetSpec mnist_spec();
IdxDatasetSpec fashion_mnist_spec();

struct CifarDatasetSpec {
  std::string plugin;
  std::string doc;
  CifarFormat format;
  std::string subdir;  ///< under the data root: "cifar-10-batches-bin", "cifar-100-binary"
  std::vector<std::string> train_files;
  std::vector<std::string> test_files;
  Normalization norm;
};
CifarDatasetSpec cifar10_spec();
CifarDatasetSpec cifar100_spec();

/// The plugins' declared options (docs for each).
dfkd::PluginInfo idx_dataset_info(const IdxDatasetSpec& spec);
dfkd::PluginInfo cifar_dataset_info(const CifarDatasetSpec& spec);

/// Holds the splits. Construction only checks options and resolves the directory; the files are
/// read on first use of a split, so shape() and source() work without the data on disk.
///
/// The validation split (option validation_size) is held out of the training file, stratified,
/// before the subset options select the training split from what remains: no method ever
/// receives a validation image, and the subset options never shrink the validation split.
class ImageDataset : public dfkd::Dataset {
 public:
  dfkd::DataShape shape() const override { return shape_; }
  const dfkd::Split& train() const override {
    load();
    return train_;
  }
  const dfkd::Split& test() const override {
    load();
    return test_;
  }
  const dfkd::Split& validation() const override {
    load();
    return validation_;
  }
  /// The resolved directory: part of every run's config, so a full MNIST copy and the subset
  /// never share a run_key.
  nlohmann::json source() const override { return {{"dir", dir_.string()}}; }
  /// The data directory the splits are read from.
  const std::filesystem::path& directory() const { return dir_; }

 protected:
  /// Reads the files into train_ / test_ / validation_.
  virtual void read_splits() const = 0;
  dfkd::DataShape shape_;
  mutable dfkd::Split train_;
  mutable dfkd::Split test_;
  mutable dfkd::Split validation_;  ///< empty tensors [0, ...] when validation_size is 0
  std::filesystem::path dir_;

 private:
  void load() const {
    if (loaded_) return;
    read_splits();
    loaded_ = true;
  }
  mutable bool loaded_ = false;
};

/// MNIST-like: IDX files, 28x28 greyscale, 10 classes -> [N, 1, 32, 32]; no augmentation (as the
/// reference MNIST pipeline). Options: dir, (variant,) train_fraction, train_per_class,
/// subset_seed, validation_size, validation_seed.
class IdxImageDataset : public ImageDataset {
 public:
  IdxImageDataset(const IdxDatasetSpec& spec, const dfkd::Options& options);

 protected:
  void read_splits() const override;

 private:
  IdxDatasetSpec spec_;
  dfkd::Options options_;
  DataDir resolved_;
  int variant_ = -1;  ///< index into spec_.variants when `dir` is "" and the spec has variants
};

/// CIFAR-10 / CIFAR-100 binary version -> [N, 3, 32, 32]; training batches are augmented (random
/// crop with 4 pixels of zero padding + horizontal flip) unless the `augment` option is false.
/// Options: dir, augment, train_fraction, train_per_class, subset_seed, validation_size,
/// validation_seed (+ labels for CIFAR-100).
class CifarDataset : public ImageDataset {
 public:
  CifarDataset(const CifarDatasetSpec& spec, const dfkd::Options& options);
  torch::Tensor augment(const torch::Tensor& batch, torch::Generator& rng) const override;

 protected:
  void read_splits() const override;

 private:
  CifarDatasetSpec spec_;
  dfkd::Options options_;
  DataDir resolved_;
  int64_t label_column_ = 0;
  bool augment_ = true;
  torch::Tensor fill_;  ///< normalised value of pixel 0 per channel: the padding
};

}  // namespace dfkd_image
