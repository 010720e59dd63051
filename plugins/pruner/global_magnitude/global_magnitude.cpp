// Global magnitude pruning: the smallest weights over all convolutions (magnitude_masks.hpp).
#include <dfkd/sdk.hpp>

#include "magnitude_masks.hpp"

namespace dfkd_global_magnitude {

class GlobalMagnitude : public dfkd::Pruner {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "global weight-magnitude pruning (Han et al. 2015): one threshold over every convolution "
        "weight (and linear weights with include_linear); the smallest |w| are zeroed";
    info.options = {
        dfkd::option_real("fraction", 0.6, "share of the chosen weights pruned")
            .greater_than(0.0)
            .less_than(1.0),
        dfkd::option_bool("include_linear", false, "prune fully connected weights as well")};
    return info;
  }

  explicit GlobalMagnitude(const dfkd::Options& o)
      : fraction_(o.real("fraction")), include_linear_(o.boolean("include_linear")) {}

  dfkd::PruningMasks masks(torch::nn::Module& network) const override {
    return dfkd::magnitude_pruning::global_magnitude_masks(network, fraction_, include_linear_);
  }

 private:
  double fraction_;
  bool include_linear_;
};

}  // namespace dfkd_global_magnitude

DFKD_PLUGIN(pruner, "global_magnitude", "1.0.0", dfkd_global_magnitude::GlobalMagnitude)
