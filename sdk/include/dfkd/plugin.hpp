#pragma once
/// The plugin ABI: one exported C entry returning a POD descriptor the host validates before it
/// calls any C++ in the plugin, then an explicit register function filling the host's registry.
///
/// A plugin is one shared library with one plugin in it. Write the class, then:
///   DFKD_PLUGIN(method, "dfad", "1.0.0", dfkd_dfad::Dfad)
/// The class provides `static dfkd::PluginInfo info();` (doc, options, traits) and a constructor
/// taking the resolved options (+ the DataShape for models, generators and augmentations).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/version.h>
#include <boost/dll/alias.hpp>

#include "dfkd/augmentation.hpp"
#include "dfkd/dataset.hpp"
#include "dfkd/generator.hpp"
#include "dfkd/method.hpp"
#include "dfkd/model.hpp"
#include "dfkd/options.hpp"
#include "dfkd/pruner.hpp"
#include "dfkd/regularizer.hpp"

/// Bumped whenever the descriptor layout or any SDK interface changes incompatibly.
/// 3: OptionSpec gained its range fields (min_value, max_value, *_exclusive, min_items).
/// 4: optimizer options by role (OptimizerOptions replaces optimizer_options/optimizer_settings);
///    TrainContext::generator_terms / student_terms.
/// 5: add_optimizer takes a Schedule (a method exempts optimizers from train.lr_schedule);
///    Dataset::validation() (a new virtual: a dataset built against 4 has no such vtable slot).
/// 6: augmentation plugins (PluginKind::Augmentation, PluginInfo::augmentation_traits); Batch
///    gained mixed labels (y_mix, y_weight); MethodTraits::accepts_mixed_labels;
///    DataShape::pixel_mean/pixel_std; TrainContext::make_student.
/// 7: pruner plugins (PluginKind::Pruner, dfkd/pruner.hpp).
#define DFKD_ABI_VERSION 7u
/// Exported symbol (a Boost.DLL alias) every plugin library must have.
#define DFKD_PLUGIN_ENTRY "dfkd_plugin"

namespace dfkd {

class Registry;

enum class PluginKind { Model, Dataset, Generator, Regularizer, Method, Augmentation, Pruner };
const char* to_string(PluginKind kind);
/// Interface id a plugin of `kind` must declare, e.g. "dfkd.Method/1".
const char* interface_id(PluginKind kind);

extern "C" {
/// Plain data only: the host reads it before trusting anything else in the library.
struct PluginDescriptor {
  uint32_t abi_version;  ///< DFKD_ABI_VERSION the plugin was built with
  uint32_t struct_size;  ///< sizeof(PluginDescriptor) the plugin was built with
  const char* kind;  ///< "model", "dataset", "generator", "regularizer", "method", "augmentation",
                     ///< "pruner"
  const char* name;
  const char* version;
  const char* interface_id;
  const char* torch_version;  ///< TORCH_VERSION at build time
  int32_t cxx11_abi;          ///< _GLIBCXX_USE_CXX11_ABI at build time
  void (*register_fn)(Registry& registry);
};
}

/// What a plugin says about itself beyond the descriptor.
struct PluginInfo {
  std::string doc;
  std::vector<OptionSpec> options;
  MethodTraits method_traits;              ///< methods only
  AugmentationTraits augmentation_traits;  ///< augmentations only
};

/// One registered plugin: identity, info and exactly one factory for its kind.
struct PluginEntry {
  PluginKind kind = PluginKind::Model;
  std::string name;
  std::string version;
  PluginInfo info;
  std::unique_ptr<Dataset> (*make_dataset)(const Options&) = nullptr;
  std::unique_ptr<Model> (*make_model)(const Options&, const DataShape&) = nullptr;
  std::unique_ptr<Generator> (*make_generator)(const Options&, const DataShape&) = nullptr;
  std::unique_ptr<Regularizer> (*make_regularizer)(const Options&) = nullptr;
  std::unique_ptr<Method> (*make_method)(const Options&) = nullptr;
  std::unique_ptr<Augmentation> (*make_augmentation)(const Options&, const DataShape&) = nullptr;
  std::unique_ptr<Pruner> (*make_pruner)(const Options&) = nullptr;
};

/// Implemented by the host; plugins only call add().
class Registry {
 public:
  virtual ~Registry();
  /// Throws if a plugin of the same kind and name is already registered.
  virtual void add(PluginEntry entry) = 0;
};

namespace detail {
template <class T>
std::unique_ptr<Dataset> make_dataset(const Options& o) {
  return std::make_unique<T>(o);
}
template <class T>
std::unique_ptr<Model> make_model(const Options& o, const DataShape& s) {
  return std::make_unique<T>(o, s);
}
template <class T>
std::unique_ptr<Generator> make_generator(const Options& o, const DataShape& s) {
  return std::make_unique<T>(o, s);
}
template <class T>
std::unique_ptr<Regularizer> make_regularizer(const Options& o) {
  return std::make_unique<T>(o);
}
template <class T>
std::unique_ptr<Method> make_method(const Options& o) {
  return std::make_unique<T>(o);
}
template <class T>
std::unique_ptr<Augmentation> make_augmentation(const Options& o, const DataShape& s) {
  return std::make_unique<T>(o, s);
}
template <class T>
std::unique_ptr<Pruner> make_pruner(const Options& o) {
  return std::make_unique<T>(o);
}
template <PluginKind K, class T>
PluginEntry make_entry(const char* name, const char* version) {
  PluginEntry e;
  e.kind = K;
  e.name = name;
  e.version = version;
  e.info = T::info();
  if constexpr (K == PluginKind::Dataset) e.make_dataset = &make_dataset<T>;
  if constexpr (K == PluginKind::Model) e.make_model = &make_model<T>;
  if constexpr (K == PluginKind::Generator) e.make_generator = &make_generator<T>;
  if constexpr (K == PluginKind::Regularizer) e.make_regularizer = &make_regularizer<T>;
  if constexpr (K == PluginKind::Method) e.make_method = &make_method<T>;
  if constexpr (K == PluginKind::Augmentation) e.make_augmentation = &make_augmentation<T>;
  if constexpr (K == PluginKind::Pruner) e.make_pruner = &make_pruner<T>;
  return e;
}
}  // namespace detail
}  // namespace dfkd

#define DFKD_DETAIL_KIND_model Model
#define DFKD_DETAIL_KIND_dataset Dataset
#define DFKD_DETAIL_KIND_generator Generator
#define DFKD_DETAIL_KIND_regularizer Regularizer
#define DFKD_DETAIL_KIND_method Method
#define DFKD_DETAIL_KIND_augmentation Augmentation
#define DFKD_DETAIL_KIND_pruner Pruner
#define DFKD_DETAIL_IFACE_model "dfkd.Model/1"
#define DFKD_DETAIL_IFACE_dataset "dfkd.Dataset/1"
#define DFKD_DETAIL_IFACE_generator "dfkd.Generator/1"
#define DFKD_DETAIL_IFACE_regularizer "dfkd.Regularizer/1"
#define DFKD_DETAIL_IFACE_method "dfkd.Method/1"
#define DFKD_DETAIL_IFACE_augmentation "dfkd.Augmentation/1"
#define DFKD_DETAIL_IFACE_pruner "dfkd.Pruner/1"
#define DFKD_DETAIL_CAT(a, b) a##b

/// Declares the one plugin of this library. KIND is a bare word: model, dataset, generator,
/// regularizer, method, augmentation or pruner.
#define DFKD_PLUGIN(KIND, NAME, VERSION, CLASS)                                                  \
  namespace {                                                                                    \
  void dfkd_register_plugin(::dfkd::Registry& registry) {                                        \
    registry.add(                                                                                \
        ::dfkd::detail::make_entry<::dfkd::PluginKind::DFKD_DETAIL_CAT(DFKD_DETAIL_KIND_, KIND), \
                                   CLASS>(NAME, VERSION));                                       \
  }                                                                                              \
  const ::dfkd::PluginDescriptor dfkd_plugin_descriptor_value = {                                \
      DFKD_ABI_VERSION,                                                                          \
      sizeof(::dfkd::PluginDescriptor),                                                          \
      #KIND,                                                                                     \
      NAME,                                                                                      \
      VERSION,                                                                                   \
      DFKD_DETAIL_CAT(DFKD_DETAIL_IFACE_, KIND),                                                 \
      TORCH_VERSION,                                                                             \
      _GLIBCXX_USE_CXX11_ABI,                                                                    \
      &dfkd_register_plugin};                                                                    \
  }                                                                                              \
  namespace dfkd_plugin_entry {                                                                  \
  const ::dfkd::PluginDescriptor* descriptor() {                                                 \
    return &dfkd_plugin_descriptor_value;                                                        \
  }                                                                                              \
  }                                                                                              \
  BOOST_DLL_ALIAS(dfkd_plugin_entry::descriptor, dfkd_plugin)
