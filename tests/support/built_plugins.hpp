#pragma once
// The plugins of this build, loaded once per test process (config tests resolve plugin options).
#include "loader/plugin_host.hpp"

namespace dfkd::test_support {

inline const dfkd::host::PluginHost& built_plugins() {
  static dfkd::host::PluginHost* host = [] {
    auto* h = new dfkd::host::PluginHost();  // never destroyed: plugins are never unloaded
    h->load_all({DFKD_PLUGIN_DIR});
    return h;
  }();
  return *host;
}

}  // namespace dfkd::test_support
