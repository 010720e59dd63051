#pragma once
/// A plugin block of an experiment ({"plugin": name, "options": {...}}) checked against the
/// loaded plugins and resolved into what a run config records: name, version, every option.
#include <string>

#include <nlohmann/json.hpp>

#include "loader/plugin_host.hpp"

namespace dfkd::host {

/// Throws ConfigError for an unknown plugin or a bad option, naming where it was written:
/// `origin` is the block's origin tree (config/origins.hpp), `merged_path` the fallback.
nlohmann::json resolve_plugin(const nlohmann::json& spec, PluginKind kind,
                              const std::string& merged_path, const PluginHost& plugins,
                              const nlohmann::json& origin = nullptr);

/// The traits of the method a resolved method block names.
const MethodTraits& traits_of(const nlohmann::json& method, const PluginHost& plugins);

}  // namespace dfkd::host
