// Plugin entry of the cifar100 dataset; the reader, transforms and options are in ../image_data.
#include "image_datasets.hpp"

namespace dfkd_cifar100 {

class Cifar100 : public dfkd_image::CifarDataset {
 public:
  static dfkd::PluginInfo info() {
    return dfkd_image::cifar_dataset_info(dfkd_image::cifar100_spec());
  }
  explicit Cifar100(const dfkd::Options& options)
      : CifarDataset(dfkd_image::cifar100_spec(), options) {}
};

}  // namespace dfkd_cifar100

DFKD_PLUGIN(dataset, "cifar100", "1.1.0", dfkd_cifar100::Cifar100)
