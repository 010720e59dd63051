#include "cifar_file.hpp"

#include <fmt/format.h>

#include <dfkd/errors.hpp>

#include "idx_file.hpp"

namespace dfkd_image {
namespace fs = std::filesystem;
using dfkd::DataError;

CifarFormat cifar10_format() {
  return {"CIFAR-10", {"label"}, {10}};
}
CifarFormat cifar100_format() {
  return {"CIFAR-100", {"coarse label", "fine label"}, {20, 100}};
}

CifarRecords parse_cifar(const std::vector<uint8_t>& bytes, const CifarFormat& format,
                         const std::string& where) {
  const int64_t record = format.record_bytes();
  const int64_t label_bytes = record - 3072;
  const auto size = static_cast<int64_t>(bytes.size());
  if (size == 0)
    throw DataError(
        fmt::format("{}: the file is empty (0 bytes): expected {} records of {} bytes "
                    "({} label byte{} + 3072 pixel bytes)",
                    where, format.title, record, label_bytes, label_bytes == 1 ? "" : "s"));
  if (size % record != 0)
    throw DataError(fmt::format(
        "{}: record count not integral: the file size {} is not a multiple of the {} record size "
        "{} bytes ({} label byte{} + 3072 pixel bytes): {} whole records and {} bytes left over; "
        "the file is truncated or is not a {} binary-version file (the Python and MATLAB "
        "versions are not read)",
        where, size, format.title, record, label_bytes, label_bytes == 1 ? "" : "s", size / record,
        size % record, format.title));
  const int64_t n = size / record;

  // The labels: checked in file order, so the message names the first bad record.
  auto labels = torch::empty({n, label_bytes}, torch::kLong);
  auto l = labels.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < label_bytes; ++k) {
      const int64_t v = bytes[i * record + k];
      if (v >= format.label_classes[k])
        throw DataError(
            fmt::format("{}: {} out of range: record {} (byte offset {}) has {} {}, expected 0..{}",
                        where, format.label_names[k], i, i * record + k, format.label_names[k], v,
                        format.label_classes[k] - 1));
      l[i][k] = v;
    }

  // The pixels: a strided view of the records (R, G, B planes of 32x32 after the label bytes),
  // copied out into a contiguous [N, 3, 32, 32] tensor.
  auto* base = const_cast<uint8_t*>(bytes.data()) + label_bytes;
  auto view = torch::from_blob(base, {n, 3, 32, 32}, {record, 1024, 32, 1}, torch::kUInt8);
  return {view.clone(torch::MemoryFormat::Contiguous), labels};
}

CifarRecords read_cifar_files(const std::vector<fs::path>& files, const CifarFormat& format) {
  std::vector<torch::Tensor> pixels, labels;
  for (const auto& path : files) {
    const auto bytes = read_bytes(path);
    auto records = parse_cifar(bytes, format, path.string());
    pixels.push_back(records.pixels);
    labels.push_back(records.labels);
  }
  if (pixels.size() == 1) return {pixels[0], labels[0]};
  return {torch::cat(pixels), torch::cat(labels)};
}

}  // namespace dfkd_image
