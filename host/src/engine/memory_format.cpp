#include "engine/memory_format.hpp"

namespace dfkd::host {

void use_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  auto convert = [](torch::Tensor& t) {
    if (t.defined() && t.dim() == 4 && !t.is_contiguous(torch::MemoryFormat::ChannelsLast))
      t.set_data(t.contiguous(torch::MemoryFormat::ChannelsLast));
  };
  for (auto& p : module.parameters()) convert(p);
  for (auto& b : module.buffers()) convert(b);
}

}  // namespace dfkd::host
