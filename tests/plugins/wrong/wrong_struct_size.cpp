// A descriptor claiming a different layout size (an SDK whose struct grew or shrank).
#include "wrong_plugin.hpp"

namespace {
const dfkd::PluginDescriptor kDescriptor = {DFKD_ABI_VERSION,
                                            8u,
                                            "regularizer",
                                            "wrong_struct_size",
                                            "1.0.0",
                                            "dfkd.Regularizer/1",
                                            TORCH_VERSION,
                                            _GLIBCXX_USE_CXX11_ABI,
                                            &dfkd_wrong::must_not_be_called};
}
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
