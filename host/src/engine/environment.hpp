#pragma once
#include <istream>
#include <string>

#include "store/results_store.hpp"

namespace dfkd::host {

/// Reads what a run's numbers depend on: git commit and dirty flag of the source tree dfkd was
/// built from, compiler, LibTorch version, device, intra-op threads, the BLAS actually loaded.
EnvironmentInfo probe_environment(const std::string& device, int threads);

/// The CPU model in /proc/cpuinfo's text: "model name" (x86), else, on Arm, the core its
/// implementer and part codes name ("Arm Neoverse-N1", or the codes where the core is not one
/// listed here), else "unknown".
std::string cpu_model_from_cpuinfo(std::istream& cpuinfo);

}  // namespace dfkd::host
