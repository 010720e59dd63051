// Plugin entry of the cifar10 dataset; the reader, transforms and options are in ../image_data.
#include "image_datasets.hpp"

namespace dfkd_cifar10 {

class Cifar10 : public dfkd_image::CifarDataset {
 public:
  static dfkd::PluginInfo info() {
    return dfkd_image::cifar_dataset_info(dfkd_image::cifar10_spec());
  }
  explicit Cifar10(const dfkd::Options& options)
      : CifarDataset(dfkd_image::cifar10_spec(), options) {}
};

}  // namespace dfkd_cifar10

DFKD_PLUGIN(dataset, "cifar10", "1.1.0", dfkd_cifar10::Cifar10)
