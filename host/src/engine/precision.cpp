#include "engine/precision.hpp"

#include <ATen/autocast_mode.h>
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "dfkd/errors.hpp"

namespace dfkd::host {

bool uses_bf16(const std::string& precision) {
  if (precision == "fp32") return false;
  if (precision == "bf16") return true;
  throw ConfigError(
      fmt::format("train.precision: expected \"fp32\" or \"bf16\", found \"{}\"", precision));
}

Bf16Autocast::Bf16Autocast(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  was_enabled_ = at::autocast::is_cpu_enabled();
  previous_dtype_ = static_cast<int>(at::autocast::get_autocast_cpu_dtype());
  cache_was_enabled_ = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::increment_nesting();
}

Bf16Autocast::~Bf16Autocast() {
  if (!enabled_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_cpu_enabled(was_enabled_);
  at::autocast::set_autocast_cpu_dtype(static_cast<at::ScalarType>(previous_dtype_));
  at::autocast::set_autocast_cache_enabled(cache_was_enabled_);
}

bool cpu_has_native_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream flags(line);
    std::string flag;
    while (flags >> flag)
      if (flag == "avx512_bf16" || flag == "amx_bf16") return true;
    return false;
  }
  return false;
}

}  // namespace dfkd::host
