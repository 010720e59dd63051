// dfkd's memory allocator: jemalloc, linked into the executable (so `dfkd run`, its workers and
// Slurm tasks all use it with no environment set), told to keep the pages it has. A data-free
// step allocates and frees activations of ~100 MB each; glibc serves those with fresh mmaps, so
// every step page-faults and zeroes gigabytes and unmaps them again (measured: ~40 % of the CPU
// time in the kernel). Retained pages turn that into reuse (bench/README.md).
#include <dlfcn.h>

#include <cstddef>
#include <string>

#include "cli/commands.hpp"

// Read by jemalloc at start-up; MALLOC_CONF in the environment still overrides it.
extern "C" {
__attribute__((used, visibility("default"))) const char* malloc_conf =
    "retain:true,dirty_decay_ms:-1,muzzy_decay_ms:-1";
}

namespace dfkd::cli {

std::string allocator_description() {
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  const auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (!mallctl) return "glibc malloc (jemalloc not linked)";
  const char* version = nullptr;
  bool retain = false;
  ssize_t dirty_decay = 0;
  size_t n = sizeof version;
  mallctl("version", &version, &n, nullptr, 0);
  n = sizeof retain;
  mallctl("opt.retain", &retain, &n, nullptr, 0);
  n = sizeof dirty_decay;
  mallctl("opt.dirty_decay_ms", &dirty_decay, &n, nullptr, 0);
  return std::string("jemalloc ") + (version ? version : "?") + (retain ? ", retained pages" : "") +
         (dirty_decay < 0 ? ", no decay"
                          : ", pages returned after " + std::to_string(dirty_decay) + " ms");
}

}  // namespace dfkd::cli
