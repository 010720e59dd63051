#pragma once
/// Helpers for the deliberately broken plugins in this folder: each library exports a
/// hand-written descriptor instead of using DFKD_PLUGIN, so that one field can be wrong.
#include <cstdio>
#include <cstdlib>

#include <boost/dll/alias.hpp>

#include "dfkd/plugin.hpp"

namespace dfkd_wrong {

/// Register function of plugins whose descriptor the host must refuse: reaching it means the
/// host called plugin C++ before validating the descriptor, which is exactly the bug to catch.
inline void must_not_be_called(dfkd::Registry&) {
  std::fputs("dfkd wrong plugin: register_fn called although the descriptor is invalid\n", stderr);
  std::abort();
}

/// A do-nothing student-stage regularizer, for the cases that must register something.
class StubRegularizer : public dfkd::Regularizer {
 public:
  explicit StubRegularizer(const dfkd::Options&) {}
  static dfkd::PluginInfo info() { return {"does nothing (test stub)", {}, {}}; }
  dfkd::RegularizerStage stage() const override { return dfkd::RegularizerStage::Student; }
};

}  // namespace dfkd_wrong

/// Exports `DESCRIPTOR` (a dfkd::PluginDescriptor object in this TU) as the plugin entry.
#define DFKD_WRONG_PLUGIN_EXPORT(DESCRIPTOR)     \
  namespace dfkd_wrong_entry {                   \
  const ::dfkd::PluginDescriptor* descriptor() { \
    return &DESCRIPTOR;                          \
  }                                              \
  }                                              \
  BOOST_DLL_ALIAS(dfkd_wrong_entry::descriptor, dfkd_plugin)
