#pragma once
/// Turning resolved config blocks ({"plugin", "version", "options"}) into plugin objects.
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "dfkd/sdk.hpp"
#include "loader/plugin_host.hpp"

namespace dfkd::host {

/// Datasets are immutable and can be large: one instance per distinct config per process.
class DatasetCache {
 public:
  explicit DatasetCache(const PluginHost& plugins) : plugins_(plugins) {}
  /// The dataset, its splits checked (loads the data).
  const Dataset& get(const nlohmann::json& spec);
  /// Only the shape: datasets promise not to read their files until train()/test() are called.
  DataShape shape(const nlohmann::json& spec);

 private:
  struct Entry {
    std::unique_ptr<Dataset> dataset;
    bool checked = false;
  };
  Entry& entry(const nlohmann::json& spec);
  const PluginHost& plugins_;
  std::map<std::string, Entry> cache_;
};

std::unique_ptr<Model> build_model(const PluginHost& plugins, const nlohmann::json& spec,
                                   const DataShape& shape);
std::unique_ptr<Generator> build_generator(const PluginHost& plugins, const nlohmann::json& spec,
                                           const DataShape& shape);
std::unique_ptr<Method> build_method(const PluginHost& plugins, const nlohmann::json& spec);
RegularizerSet build_regularizers(const PluginHost& plugins, const nlohmann::json& list);

/// "auto" picks CUDA when this LibTorch has it and a device is present.
torch::Device resolve_device(const std::string& name);

}  // namespace dfkd::host
