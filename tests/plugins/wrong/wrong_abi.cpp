// abi_version from a future SDK: refused as WrongAbi before anything else is read.
#include "wrong_plugin.hpp"

namespace {
const dfkd::PluginDescriptor kDescriptor = {999u,
                                            sizeof(dfkd::PluginDescriptor),
                                            "regularizer",
                                            "wrong_abi",
                                            "1.0.0",
                                            "dfkd.Regularizer/1",
                                            TORCH_VERSION,
                                            _GLIBCXX_USE_CXX11_ABI,
                                            &dfkd_wrong::must_not_be_called};
}
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
