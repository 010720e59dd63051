// libFuzzer target: the CIFAR-10 and CIFAR-100 binary-batch parser on arbitrary bytes. A bad file
// may only be refused with a DataError; an accepted one is a whole number of records whose labels
// are in range and whose pixels are exactly the record's 3072 bytes.
#include <cstdint>
#include <cstring>
#include <vector>

#include <dfkd/errors.hpp>

#include "cifar_file.hpp"
#include "fuzz_check.hpp"

namespace {

void check_format(const std::vector<uint8_t>& bytes, const dfkd_image::CifarFormat& format) {
  try {
    const auto records = dfkd_image::parse_cifar(bytes, format, "fuzz.bin");
    const int64_t record = format.record_bytes();
    const int64_t label_bytes = record - 3072;
    const int64_t n = static_cast<int64_t>(bytes.size()) / record;
    FUZZ_CHECK(n > 0 && n * record == static_cast<int64_t>(bytes.size()));
    FUZZ_CHECK(records.pixels.sizes() == torch::IntArrayRef({n, 3, 32, 32}));
    FUZZ_CHECK(records.pixels.is_contiguous() && records.pixels.scalar_type() == torch::kUInt8);
    FUZZ_CHECK(records.labels.sizes() == torch::IntArrayRef({n, label_bytes}));
    const auto l = records.labels.accessor<int64_t, 2>();
    const uint8_t* p = records.pixels.data_ptr<uint8_t>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < label_bytes; ++k)
        FUZZ_CHECK(l[i][k] == bytes[i * record + k] && l[i][k] < format.label_classes[k]);
      FUZZ_CHECK(std::memcmp(p + i * 3072, bytes.data() + i * record + label_bytes, 3072) == 0);
    }
  } catch (const dfkd::DataError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  static const auto cifar10 = dfkd_image::cifar10_format();
  static const auto cifar100 = dfkd_image::cifar100_format();
  check_format(bytes, cifar10);
  check_format(bytes, cifar100);
  return 0;
}
