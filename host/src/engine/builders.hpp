#pragma once
/// Turning a run config's resolved plugin blocks into plugin objects.
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/run_config.hpp"
#include "dfkd/sdk.hpp"
#include "loader/plugin_host.hpp"

namespace dfkd::host {

/// Datasets are immutable and can be large: one instance per distinct config per process.
class DatasetCache {
 public:
  explicit DatasetCache(const PluginHost& plugins) : plugins_(plugins) {}
  /// The dataset, its splits checked (loads the data).
  const Dataset& get(const DatasetChoice& spec);
  /// Only the shape: datasets promise not to read their files until train()/test() are called.
  DataShape shape(const DatasetChoice& spec);

 private:
  struct Entry {
    std::unique_ptr<Dataset> dataset;
    bool checked = false;
  };
  Entry& entry(const DatasetChoice& spec);
  const PluginHost& plugins_;
  std::map<std::string, Entry> cache_;
};

std::unique_ptr<Model> build_model(const PluginHost& plugins, const PluginChoice& spec,
                                   const DataShape& shape);
std::unique_ptr<Generator> build_generator(const PluginHost& plugins, const PluginChoice& spec,
                                           const DataShape& shape);
std::unique_ptr<Method> build_method(const PluginHost& plugins, const PluginChoice& spec);
RegularizerSet build_regularizers(const PluginHost& plugins,
                                  const std::vector<RegularizerChoice>& list);
/// `shape` is the run's dataset's: an augmentation refuses data it cannot handle when built.
std::unique_ptr<Pruner> build_pruner(const PluginHost& plugins, const PluginChoice& spec);
std::vector<std::unique_ptr<Augmentation>> build_augmentations(
    const PluginHost& plugins, const std::vector<PluginChoice>& list, const DataShape& shape);

/// "auto" picks CUDA when this LibTorch has it and a device is present.
torch::Device resolve_device(const std::string& name);

}  // namespace dfkd::host
