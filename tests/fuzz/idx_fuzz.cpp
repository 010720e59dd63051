// libFuzzer target: the IDX reader (MNIST / Fashion-MNIST files) on arbitrary bytes, gzip or raw,
// as read_file() hands them to the parsers. A bad file may only be refused with a DataError; an
// accepted one must hold exactly the header's items, and the tensor exactly the file's bytes.
#include <cstdint>
#include <cstring>
#include <vector>

#include <dfkd/errors.hpp>

#include "fuzz_check.hpp"
#include "idx_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dfkd_image::FileBytes file;
  file.bytes.assign(data, data + size);
  file.where = "fuzz.idx";
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {  // read_file()'s gzip detection
    try {
      file.bytes = dfkd_image::gunzip(file.bytes, file.where);
    } catch (const dfkd::DataError&) {
      return 0;
    }
    file.gzipped = true;
  }
  const std::vector<uint8_t>& b = file.bytes;

  try {
    const torch::Tensor images = dfkd_image::parse_idx_images(file);
    FUZZ_CHECK(images.dim() == 3 && images.scalar_type() == torch::kUInt8);
    FUZZ_CHECK(b.size() >= 16 && static_cast<size_t>(images.numel()) == b.size() - 16);
    FUZZ_CHECK(images.numel() == 0 ||
               std::memcmp(images.data_ptr<uint8_t>(), b.data() + 16, b.size() - 16) == 0);
  } catch (const dfkd::DataError&) {
  }

  try {
    const int64_t classes = 10;
    const torch::Tensor labels = dfkd_image::parse_idx_labels(file, classes);
    FUZZ_CHECK(labels.dim() == 1 && labels.scalar_type() == torch::kLong);
    FUZZ_CHECK(b.size() >= 8 && static_cast<size_t>(labels.numel()) == b.size() - 8);
    const auto l = labels.accessor<int64_t, 1>();
    for (int64_t i = 0; i < labels.numel(); ++i)
      FUZZ_CHECK(l[i] == b[8 + static_cast<size_t>(i)] && l[i] < classes);
  } catch (const dfkd::DataError&) {
  }
  return 0;
}
