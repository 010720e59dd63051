// A valid descriptor whose register function forgets to register anything.
#include "wrong_plugin.hpp"

namespace {
void register_nothing(dfkd::Registry&) {}

const dfkd::PluginDescriptor kDescriptor = {
    DFKD_ABI_VERSION, sizeof(dfkd::PluginDescriptor), "regularizer", "registers_nothing",
    "1.0.0",          "dfkd.Regularizer/1",           TORCH_VERSION, _GLIBCXX_USE_CXX11_ABI,
    &register_nothing};
}  // namespace
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
