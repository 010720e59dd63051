#pragma once
/// Image networks train in channels_last (NHWC) on CPU: oneDNN's fast convolution layout, where
/// the generator's 3x3 convolutions run about twice as fast as in NCHW (bench/README.md). Inputs
/// need no conversion: a convolution with channels_last weights returns channels_last outputs.
#include <torch/torch.h>

#include <utility>
#include <vector>

namespace dfkd::host {

/// Converts every 4-D parameter and buffer of `module` to channels_last in place (the tensors keep
/// their identity, so optimizers already holding them are unaffected). Call it after building a
/// network and after loading weights into it (a load restores the layout the file was saved in).
void use_channels_last(torch::nn::Module& module);

/// The memory format of every 4-D parameter and buffer of some modules, taken before a checkpoint
/// load and put back after it. A load brings back the layout each tensor was saved in (NCHW in
/// checkpoints older than channels_last); a resumed run must compute in the layouts a fresh run
/// does, since a convolution's result depends on its weights' layout in the last bits.
class TensorLayouts {
 public:
  explicit TensorLayouts(const std::vector<torch::nn::Module*>& modules);
  /// Converts each tensor back to its recorded format (in place: the tensors keep their identity).
  void restore() const;

 private:
  std::vector<std::pair<torch::Tensor, torch::MemoryFormat>> layouts_;
};

}  // namespace dfkd::host
