#pragma once
/// The `train.precision` option: "fp32" (default) or "bf16". In bf16, each training iteration runs
/// under LibTorch's CPU autocast, as `torch.autocast("cpu", dtype=torch.bfloat16)` does in Python:
/// convolutions and linear layers compute in bfloat16, everything autocast keeps in fp32 (losses,
/// softmax, norms) stays fp32, and the weights and optimizer state stay fp32. On a CPU with
/// AVX-512 BF16 the DFAD iteration runs about twice as fast (bench/README.md). Evaluation always
/// runs in fp32, so test accuracies are measured the same way in both.
#include <string>

namespace dfkd::host {

/// True when `precision` is "bf16"; "fp32" gives false. Anything else is a ConfigError (the
/// experiment reader checks earlier; this guards hand-written run configs).
bool uses_bf16(const std::string& precision);

/// Autocast to bfloat16 for the lifetime of the scope when `enabled` (nests like Python's
/// `with torch.autocast(...)`). The scope spans a whole iteration, optimizer steps included, so
/// autocast's cache of bf16 weight copies is off: with it, the student steps after the first
/// would run on the weights of the first (measured: DFAD stuck at 10 % accuracy).
class Bf16Autocast {
 public:
  explicit Bf16Autocast(bool enabled);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool enabled_;
  bool was_enabled_ = false;
  bool cache_was_enabled_ = true;
  int previous_dtype_ = 0;
};

/// Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); without it oneDNN emulates
/// bf16 and it is slower than fp32. Read from /proc/cpuinfo; false where that cannot be read.
bool cpu_has_native_bf16();

}  // namespace dfkd::host
