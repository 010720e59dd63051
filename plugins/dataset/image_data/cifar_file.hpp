#pragma once
/// The CIFAR "binary version" files (not the Python pickles).
///
/// CIFAR-10: data_batch_1.bin .. data_batch_5.bin (train, 10000 records each) and test_batch.bin;
///   a record is 1 label byte (0..9) + 3072 pixel bytes.
/// CIFAR-100: train.bin (50000 records) and test.bin (10000); a record is 1 coarse label byte
///   (0..19), 1 fine label byte (0..99) + 3072 pixel bytes.
/// The 3072 pixels are the red plane, then green, then blue, each 32x32 row-major, which is
/// exactly the memory layout of a [3, 32, 32] tensor.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dfkd_image {

/// One kind of CIFAR record: the label bytes in front of the pixels and their ranges.
struct CifarFormat {
  std::string title;                     ///< "CIFAR-10", "CIFAR-100" (in messages)
  std::vector<std::string> label_names;  ///< one per label byte: {"label"} / {"coarse", "fine"}
  std::vector<int64_t> label_classes;    ///< classes of each label byte: {10} / {20, 100}
  int64_t record_bytes() const { return static_cast<int64_t>(label_names.size()) + 3072; }
};
CifarFormat cifar10_format();
CifarFormat cifar100_format();

/// One file's records: pixels uint8 [N, 3, 32, 32], labels int64 [N, label bytes] (CIFAR-100:
/// column 0 coarse, column 1 fine).
struct CifarRecords {
  torch::Tensor pixels;
  torch::Tensor labels;
};

/// Parses the bytes of one binary batch file; `where` names it in errors: a size that is not a
/// whole number of records, an empty file, a label out of range (record index and byte offset).
CifarRecords parse_cifar(const std::vector<uint8_t>& bytes, const CifarFormat& format,
                         const std::string& where);
/// Reads and parses the files in order and concatenates their records.
CifarRecords read_cifar_files(const std::vector<std::filesystem::path>& files,
                              const CifarFormat& format);

}  // namespace dfkd_image
