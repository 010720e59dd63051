// The descriptor says "name_mismatch", the registered entry says "other_name".
#include "wrong_plugin.hpp"

namespace {
void register_other_name(dfkd::Registry& registry) {
  registry.add(dfkd::detail::make_entry<dfkd::PluginKind::Regularizer, dfkd_wrong::StubRegularizer>(
      "other_name", "1.0.0"));
}

const dfkd::PluginDescriptor kDescriptor = {DFKD_ABI_VERSION,
                                            sizeof(dfkd::PluginDescriptor),
                                            "regularizer",
                                            "name_mismatch",
                                            "1.0.0",
                                            "dfkd.Regularizer/1",
                                            TORCH_VERSION,
                                            _GLIBCXX_USE_CXX11_ABI,
                                            &register_other_name};
}  // namespace
DFKD_WRONG_PLUGIN_EXPORT(kDescriptor)
