#include "engine/environment.hpp"

#include <sched.h>
#include <torch/version.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

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

// The value after "key<spaces>:" of a cpuinfo line, or nullopt if the line is not that key's.
std::optional<std::string> cpuinfo_value(const std::string& line, std::string_view key) {
  if (line.rfind(key, 0) != 0) return std::nullopt;
  const auto colon = line.find(':');
  if (colon == std::string::npos || line.find_first_not_of(" \t", key.size()) != colon)
    return std::nullopt;
  const auto begin = line.find_first_not_of(" \t", colon + 1);
  if (begin == std::string::npos) return std::string();
  return line.substr(begin, line.find_last_not_of(" \t") + 1 - begin);
}

// Arm cores of the cloud machines such a study may run on (implementer, part -> name).
std::string arm_core_name(const std::string& implementer, const std::string& part) {
  static const std::map<std::pair<std::string, std::string>, std::string> names{
      {{"0x41", "0xd0c"}, "Arm Neoverse-N1"}, {{"0x41", "0xd40"}, "Arm Neoverse-V1"},
      {{"0x41", "0xd49"}, "Arm Neoverse-N2"}, {{"0x41", "0xd4f"}, "Arm Neoverse-V2"},
      {{"0x41", "0xd08"}, "Arm Cortex-A72"},  {{"0x41", "0xd0b"}, "Arm Cortex-A76"},
      {{"0xc0", "0xac3"}, "AmpereOne"},
  };
  const auto it = names.find({implementer, part});
  return it != names.end() ? it->second : "Arm CPU implementer " + implementer + " part " + part;
}

}  // namespace

// The CPU a timing comes from: machines behind one hostname differ (a DFAD iteration took 4.7 s
// on one Xeon, 11.5 s on an EPYC). Arm kernels print no "model name", only the core's codes.
std::string cpu_model_from_cpuinfo(std::istream& cpuinfo) {
  std::string line, implementer, part;
  while (std::getline(cpuinfo, line)) {
    if (auto v = cpuinfo_value(line, "model name"); v && !v->empty()) return *v;
    if (auto v = cpuinfo_value(line, "CPU implementer"); v && implementer.empty()) implementer = *v;
    if (auto v = cpuinfo_value(line, "CPU part"); v && part.empty()) part = *v;
  }
  if (!implementer.empty() && !part.empty()) return arm_core_name(implementer, part);
  return "unknown";
}

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
  std::ifstream cpuinfo("/proc/cpuinfo");
  env.cpu_model = cpu_model_from_cpuinfo(cpuinfo);
  // The CPUs this process may use (what nproc says): a container's, not its host's.
  cpu_set_t mask;
  env.cpus = sched_getaffinity(0, sizeof(mask), &mask) == 0 ? CPU_COUNT(&mask)
                                                            : sysconf(_SC_NPROCESSORS_ONLN);
  return env;
}

}  // namespace dfkd::host
