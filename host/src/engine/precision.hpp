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
/// `with torch.autocast(...)`: the cast-weight cache is cleared when the outermost scope ends).
class Bf16Autocast {
 public:
  explicit Bf16Autocast(bool enabled);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool enabled_;
  bool was_enabled_ = false;
  int previous_dtype_ = 0;
};

/// Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); without it oneDNN emulates
/// bf16 and it is slower than fp32. Read from /proc/cpuinfo; false where that cannot be read.
bool cpu_has_native_bf16();

}  // namespace dfkd::host
