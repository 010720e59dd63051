#pragma once
#include <string>

#include "store/results_store.hpp"

namespace dfkd::host {

/// Reads what a run's numbers depend on: git commit and dirty flag of the source tree dfkd was
/// built from, compiler, LibTorch version, device, intra-op threads, the BLAS actually loaded.
EnvironmentInfo probe_environment(const std::string& device, int threads);

}  // namespace dfkd::host
