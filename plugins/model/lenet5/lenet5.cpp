// The lenet5 model plugin; the architecture is in lenet5_net.{hpp,cpp}.
#include "lenet5_net.hpp"

DFKD_PLUGIN(model, "lenet5", "1.0.0", dfkd_lenet5::LeNet5)
