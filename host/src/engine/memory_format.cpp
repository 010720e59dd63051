#include "engine/memory_format.hpp"

namespace dfkd::host {
namespace {

void convert(torch::Tensor& t, torch::MemoryFormat format) {
  if (t.defined() && t.dim() == 4 && !t.is_contiguous(format)) t.set_data(t.contiguous(format));
}

template <class Visit>
void each_tensor(torch::nn::Module& module, Visit visit) {
  for (auto& p : module.parameters()) visit(p);
  for (auto& b : module.buffers()) visit(b);
}

}  // namespace

void use_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  each_tensor(module, [](torch::Tensor& t) { convert(t, torch::MemoryFormat::ChannelsLast); });
}

TensorLayouts::TensorLayouts(const std::vector<torch::nn::Module*>& modules) {
  for (auto* module : modules)
    each_tensor(*module, [this](const torch::Tensor& t) {
      if (t.defined() && t.dim() == 4)
        layouts_.emplace_back(t, t.is_contiguous(torch::MemoryFormat::ChannelsLast)
                                     ? torch::MemoryFormat::ChannelsLast
                                     : torch::MemoryFormat::Contiguous);
    });
}

void TensorLayouts::restore() const {
  torch::NoGradGuard no_grad;
  for (auto [tensor, format] : layouts_) convert(tensor, format);
}

}  // namespace dfkd::host
