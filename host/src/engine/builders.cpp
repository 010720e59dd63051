#include "engine/builders.hpp"

#include <fmt/format.h>

namespace dfkd::host {
namespace {

const LoadedPlugin& plugin_for(const PluginHost& plugins, PluginKind kind,
                               const PluginChoice& spec) {
  const auto& p = plugins.get(kind, spec.plugin);
  const auto& want = spec.version;
  if (p.entry.version != want)
    throw ConfigError(fmt::format(
        "{} plugin '{}': the run was planned with version {} but version {} is loaded ({}); "
        "results of different plugin versions are different runs: re-plan with `dfkd run`",
        to_string(kind), p.entry.name, want, p.entry.version, p.file.string()));
  return p;
}

Options options_for(const LoadedPlugin& p, const PluginChoice& spec) {
  return Options(p.entry.name, spec.options);
}

}  // namespace

DatasetCache::Entry& DatasetCache::entry(const DatasetChoice& spec) {
  const auto key = nlohmann::json(spec).dump();
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const auto& p = plugin_for(plugins_, PluginKind::Dataset, spec);
  return cache_.emplace(key, Entry{p.entry.make_dataset(options_for(p, spec)), false})
      .first->second;
}

DataShape DatasetCache::shape(const DatasetChoice& spec) {
  return entry(spec).dataset->shape();
}

const Dataset& DatasetCache::get(const DatasetChoice& spec) {
  auto& e = entry(spec);
  if (!e.checked) {
    const auto& tr = e.dataset->train();
    const auto& te = e.dataset->test();
    const auto& va = e.dataset->validation();
    if (!tr.x.defined() || !te.x.defined() || tr.x.size(0) != tr.y.size(0) ||
        te.x.size(0) != te.y.size(0))
      throw DataError(fmt::format(
          "dataset '{}': train/test splits must have as many labels as inputs", spec.plugin));
    // An undefined validation split means none; a defined one must be consistent.
    if (va.x.defined() && (!va.y.defined() || va.x.size(0) != va.y.size(0)))
      throw DataError(fmt::format(
          "dataset '{}': the validation split must have as many labels as inputs (found {} inputs, "
          "{} labels)",
          spec.plugin, va.x.size(0), va.y.defined() ? va.y.size(0) : 0));
    e.checked = true;
  }
  return *e.dataset;
}

std::unique_ptr<Model> build_model(const PluginHost& plugins, const PluginChoice& spec,
                                   const DataShape& shape) {
  const auto& p = plugin_for(plugins, PluginKind::Model, spec);
  return p.entry.make_model(options_for(p, spec), shape);
}

std::unique_ptr<Generator> build_generator(const PluginHost& plugins, const PluginChoice& spec,
                                           const DataShape& shape) {
  const auto& p = plugin_for(plugins, PluginKind::Generator, spec);
  return p.entry.make_generator(options_for(p, spec), shape);
}

std::unique_ptr<Method> build_method(const PluginHost& plugins, const PluginChoice& spec) {
  const auto& p = plugin_for(plugins, PluginKind::Method, spec);
  return p.entry.make_method(options_for(p, spec));
}

RegularizerSet build_regularizers(const PluginHost& plugins,
                                  const std::vector<RegularizerChoice>& list) {
  std::vector<RegularizerSet::Entry> entries;
  for (const auto& spec : list) {
    const auto& p = plugin_for(plugins, PluginKind::Regularizer, spec);
    entries.push_back({p.entry.name, spec.weight, p.entry.make_regularizer(options_for(p, spec))});
  }
  return RegularizerSet(std::move(entries));
}

std::vector<std::unique_ptr<Augmentation>> build_augmentations(
    const PluginHost& plugins, const std::vector<PluginChoice>& list, const DataShape& shape) {
  std::vector<std::unique_ptr<Augmentation>> out;
  for (const auto& spec : list) {
    const auto& p = plugin_for(plugins, PluginKind::Augmentation, spec);
    out.push_back(p.entry.make_augmentation(options_for(p, spec), shape));
  }
  return out;
}

std::unique_ptr<Pruner> build_pruner(const PluginHost& plugins, const PluginChoice& spec) {
  const auto& p = plugin_for(plugins, PluginKind::Pruner, spec);
  return p.entry.make_pruner(options_for(p, spec));
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw ConfigError(
          "--device cuda: this LibTorch build has no CUDA or no GPU is visible; "
          "use --device cpu or build dfkd against a CUDA LibTorch");
    return torch::kCUDA;
  }
  if (name == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  throw ConfigError(fmt::format("--device: expected auto, cpu or cuda; found \"{}\"", name));
}

}  // namespace dfkd::host
