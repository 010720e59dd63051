// The conv_generator generator plugin; the architecture is in conv_generator_net.{hpp,cpp}.
#include "conv_generator_net.hpp"

DFKD_PLUGIN(generator, "conv_generator", "1.0.0", dfkd_conv_generator::ConvGenerator)
