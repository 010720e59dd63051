#include "engine/environment.hpp"

#include <sched.h>
#include <torch/version.h>
#include <unistd.h>

#include <array>
#include <fstream>

#include "dfkd_git_info.h"  // generated at build time (cmake/DfkdGitInfo.cmake)

namespace dfkd::host {
namespace {

// The BLAS LibTorch calls is whichever libblas the dynamic linker resolved; /proc/self/maps
// shows it (Debian's alternatives pick OpenBLAS once libopenblas0-* is installed).
std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::string found = "unknown";
  while (std::getline(maps, line)) {
    if (line.find("openblas") != std::string::npos) return "openblas";
    if (line.find("libblis") != std::string::npos) found = "blis";
    if (line.find("libmkl") != std::string::npos) found = "mkl";
    if (line.find("/blas/libblas") != std::string::npos && found == "unknown") found = "reference";
  }
  return found;
}

// The CPU a timing comes from: /proc/cpuinfo's "model name" (x86), else "unknown". Machines
// behind one hostname differ (a DFAD iteration took 4.7 s on one Xeon, 11.5 s on an EPYC).
std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) break;
    const auto begin = line.find_first_not_of(" \t", colon + 1);
    if (begin == std::string::npos) break;
    return line.substr(begin, line.find_last_not_of(" \t") + 1 - begin);
  }
  return "unknown";
}

}  // namespace

EnvironmentInfo probe_environment(const std::string& device, int threads) {
  EnvironmentInfo env;
  env.git_commit = DFKD_GIT_COMMIT;  // of the build, not of the tree now
  env.git_dirty = DFKD_GIT_DIRTY != 0;
  env.compiler = DFKD_COMPILER;
  env.torch_version = TORCH_VERSION;
  env.device = device;
  env.threads = threads;
  env.blas = loaded_blas();
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  env.hostname = host.data();
  env.cpu_model = cpu_model();
  // The CPUs this process may use (what nproc says): a container's, not its host's.
  cpu_set_t mask;
  env.cpus = sched_getaffinity(0, sizeof(mask), &mask) == 0 ? CPU_COUNT(&mask)
                                                            : sysconf(_SC_NPROCESSORS_ONLN);
  return env;
}

}  // namespace dfkd::host
