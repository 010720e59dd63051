// L1 filter pruning: the lowest-L1-norm output filters of every convolution (filter_masks.hpp).
#include <dfkd/sdk.hpp>

#include "filter_masks.hpp"

namespace dfkd_l1_filter {

class L1Filter : public dfkd::Pruner {
 public:
  static dfkd::PluginInfo info() {
    dfkd::PluginInfo info;
    info.doc =
        "L1-norm filter pruning (Li et al. 2017): per convolution, the int(C*(1-fraction)) output "
        "filters of largest L1 norm are kept, the rest (and their biases) zeroed";
    info.options = {dfkd::option_real("fraction", 0.5, "share of each convolution's filters pruned")
                        .greater_than(0.0)
                        .less_than(1.0)};
    return info;
  }

  explicit L1Filter(const dfkd::Options& o) : fraction_(o.real("fraction")) {}

  dfkd::PruningMasks masks(torch::nn::Module& network) const override {
    return dfkd::filter_pruning::l1_filter_masks(network, fraction_);
  }

 private:
  double fraction_;
};

}  // namespace dfkd_l1_filter

DFKD_PLUGIN(pruner, "l1_filter", "1.0.0", dfkd_l1_filter::L1Filter)
