// A null string in the descriptor: refused with a message, never dereferenced.
#include "wrong_plugin.hpp"

namespace {
const dfkd::PluginDescriptor kDescriptor = {DFKD_ABI_VERSION,
                                            sizeof(dfkd::PluginDescriptor),
                                            "regularizer",
                                            "null_torch_version",
                                            "1.0.0",
                                            "dfkd.Regularizer/1",
                                            nullptr,
                                            _GLIBCXX_USE_CXX11_ABI,
                                            &dfkd_wrong::must_not_be_called};
}
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
