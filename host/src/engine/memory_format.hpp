#pragma once
/// Image networks train in channels_last (NHWC) on CPU: oneDNN's fast convolution layout, where
/// the generator's 3x3 convolutions run about twice as fast as in NCHW (bench/README.md). Inputs
/// need no conversion: a convolution with channels_last weights returns channels_last outputs.
#include <torch/torch.h>

namespace dfkd::host {

/// Converts every 4-D parameter and buffer of `module` to channels_last in place (the tensors keep
/// their identity, so optimizers already holding them are unaffected). Call it after building a
/// network and after loading weights into it (a load restores the layout the file was saved in).
void use_channels_last(torch::nn::Module& module);

}  // namespace dfkd::host
