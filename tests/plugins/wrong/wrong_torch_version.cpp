// Built (it claims) against another LibTorch: tensors would not cross the boundary safely.
#include "wrong_plugin.hpp"

namespace {
const dfkd::PluginDescriptor kDescriptor = {DFKD_ABI_VERSION,
                                            sizeof(dfkd::PluginDescriptor),
                                            "regularizer",
                                            "wrong_torch_version",
                                            "1.0.0",
                                            "dfkd.Regularizer/1",
                                            "0.4.1",
                                            _GLIBCXX_USE_CXX11_ABI,
                                            &dfkd_wrong::must_not_be_called};
}
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
