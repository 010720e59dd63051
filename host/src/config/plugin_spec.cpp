#include "config/plugin_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "config/origins.hpp"
#include "dfkd/errors.hpp"

namespace dfkd::host {

using json = nlohmann::json;

// `origin`: where the block's values were written (see origin_tree); errors name those places.
json resolve_plugin(const json& spec, PluginKind kind, const std::string& merged_path,
                    const PluginHost& plugins, const json& origin) {
  const auto name = spec.at("plugin").get<std::string>();
  // Where the plugin name was written (a profile or a grid entry may have replaced it).
  const std::string plugin_path = origin_at(origin, {"plugin"}, json_path(merged_path, "plugin"));
  const LoadedPlugin* p = plugins.find(kind, name);
  if (!p) {
    std::vector<std::string> known;
    for (const auto* q : plugins.plugins())
      if (q->entry.kind == kind) known.push_back(q->entry.name);
    throw ConfigError(fmt::format(
        "{}: no {} plugin named '{}'{}; loaded {} plugins: {} (see `dfkd plugins`; "
        "out-of-tree plugins are found through DFKD_PLUGIN_PATH)",
        plugin_path, to_string(kind), name, did_you_mean(name, known), to_string(kind),
        known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
  }
  json options = spec.contains("options") ? spec.at("options") : json(nullptr);
  std::map<std::string, std::string> value_paths;
  if (options.is_object())
    for (const auto& [key, v] : options.items())
      value_paths[key] =
          origin_at(origin, {"options", key}, json_path(json_path(merged_path, "options"), key));
  return json{{"plugin", name},
              {"version", p->entry.version},
              {"options", resolve_options(p->entry.info.options, options,
                                          json_path(merged_path, "options"), value_paths)}};
}

const MethodTraits& traits_of(const json& method, const PluginHost& plugins) {
  return plugins.get(PluginKind::Method, method.at("plugin").get<std::string>())
      .entry.info.method_traits;
}

}  // namespace dfkd::host
