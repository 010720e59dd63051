// The resnet model plugin; the architecture is in resnet_net.{hpp,cpp}.
#include "resnet_net.hpp"

DFKD_PLUGIN(model, "resnet", "1.0.0", dfkd_resnet::ResNet)
