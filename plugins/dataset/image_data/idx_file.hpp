#pragma once
/// Reading data files: whole files (raw or gzip) and the IDX format of MNIST and Fashion-MNIST.
///
/// IDX (the format MNIST is distributed in): a big-endian header, then the data.
///   images: magic 0x00000803 (unsigned byte, 3 dimensions), N, rows, cols, then N*rows*cols pixels
///   labels: magic 0x00000801 (unsigned byte, 1 dimension), N, then N label bytes
/// Every failure is a dfkd::DataError naming the file, the byte offset or index, expected and
/// found.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dfkd_image {

/// A file's contents; `where` names it in error messages (the path, plus " (decompressed)" when
/// it was gzip, since byte offsets then count in the decompressed data).
struct FileBytes {
  std::vector<uint8_t> bytes;
  bool gzipped = false;
  std::string where;
};

/// Reads `path` whole, as it is on disk. Throws DataError when it is missing or unreadable.
std::vector<uint8_t> read_bytes(const std::filesystem::path& path);

/// Reads `path` whole; gunzips it when it starts with the gzip magic 1f 8b (so raw and .gz files
/// are both accepted, whatever their names). A file named *.gz that is not gzip is an error.
FileBytes read_file(const std::filesystem::path& path);

/// Decompresses a gzip stream (concatenated members are accepted, as gzip does). `where` names the
/// source in errors: corrupt data (with the compressed byte offset), a stream that ends early.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& where);

/// Compresses `data` into a gzip stream (level 9; used by the tests to write fixtures).
std::vector<uint8_t> gzip(const std::vector<uint8_t>& data);

/// Parsed IDX images: uint8 [N, rows, cols].
torch::Tensor parse_idx_images(const FileBytes& file);
/// Parsed IDX labels: int64 [N]; every label must be in 0..num_classes-1.
torch::Tensor parse_idx_labels(const FileBytes& file, int64_t num_classes);

/// read_file + parse_idx_images / parse_idx_labels.
torch::Tensor read_idx_images(const std::filesystem::path& path);
torch::Tensor read_idx_labels(const std::filesystem::path& path, int64_t num_classes);

/// One split of an IDX dataset: images uint8 [N, 1, rows, cols], labels int64 [N]. Checks that
/// both files hold the same number of items and that the images are `rows` x `cols`.
struct RawImages {
  torch::Tensor pixels;
  torch::Tensor labels;
};
RawImages read_idx_split(const std::filesystem::path& images, const std::filesystem::path& labels,
                         int64_t num_classes, int64_t rows, int64_t cols);

}  // namespace dfkd_image
