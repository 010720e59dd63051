// Built (it claims) with the other libstdc++ string ABI.
#include "wrong_plugin.hpp"

namespace {
const dfkd::PluginDescriptor kDescriptor = {DFKD_ABI_VERSION,
                                            sizeof(dfkd::PluginDescriptor),
                                            "regularizer",
                                            "wrong_cxx11_abi",
                                            "1.0.0",
                                            "dfkd.Regularizer/1",
                                            TORCH_VERSION,
                                            _GLIBCXX_USE_CXX11_ABI ? 0 : 1,
                                            &dfkd_wrong::must_not_be_called};
}
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
