// A valid descriptor whose register function throws (e.g. a bug in info()).
#include <stdexcept>

#include "wrong_plugin.hpp"

namespace {
void register_throws(dfkd::Registry&) {
  throw std::runtime_error("boom");
}

const dfkd::PluginDescriptor kDescriptor = {
    DFKD_ABI_VERSION, sizeof(dfkd::PluginDescriptor), "regularizer", "register_throws",
    "1.0.0",          "dfkd.Regularizer/1",           TORCH_VERSION, _GLIBCXX_USE_CXX11_ABI,
    &register_throws};
}  // namespace
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
