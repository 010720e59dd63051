// Plugin entry of the fashion_mnist dataset; the reader, transforms and options are in
// ../image_data.
#include "image_datasets.hpp"

namespace dfkd_fashion_mnist {

class FashionMnist : public dfkd_image::IdxImageDataset {
 public:
  static dfkd::PluginInfo info() {
    return dfkd_image::idx_dataset_info(dfkd_image::fashion_mnist_spec());
  }
  explicit FashionMnist(const dfkd::Options& options)
      : IdxImageDataset(dfkd_image::fashion_mnist_spec(), options) {}
};

}  // namespace dfkd_fashion_mnist

DFKD_PLUGIN(dataset, "fashion_mnist", "1.1.0", dfkd_fashion_mnist::FashionMnist)
