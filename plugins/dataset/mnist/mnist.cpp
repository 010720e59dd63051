// Plugin entry of the mnist dataset; the reader, transforms and options are in ../image_data.
#include "image_datasets.hpp"

namespace dfkd_mnist {

class Mnist : public dfkd_image::IdxImageDataset {
 public:
  static dfkd::PluginInfo info() { return dfkd_image::idx_dataset_info(dfkd_image::mnist_spec()); }
  explicit Mnist(const dfkd::Options& options)
      : IdxImageDataset(dfkd_image::mnist_spec(), options) {}
};

}  // namespace dfkd_mnist

DFKD_PLUGIN(dataset, "mnist", "2.0.0", dfkd_mnist::Mnist)
