#include "idx_file.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <climits>
#include <cstring>
#include <fstream>

#include <dfkd/errors.hpp>

namespace dfkd_image {
namespace fs = std::filesystem;
using dfkd::DataError;

namespace {

constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool has_gzip_magic(const std::vector<uint8_t>& b) {
  return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

std::string magic_hint(uint32_t found) {
  if (found == kIdxImagesMagic)
    return " (that is the magic of an IDX image file: images and labels swapped?)";
  if (found == kIdxLabelsMagic)
    return " (that is the magic of an IDX label file: images and labels swapped?)";
  if ((found >> 16) == 0x1f8b) return " (a gzip stream that was not decompressed?)";
  return "";
}

}  // namespace

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& where) {
  if (compressed.size() > UINT_MAX)
    throw DataError(
        fmt::format("{}: gzip file of {} bytes is larger than this reader supports ({})", where,
                    compressed.size(), UINT_MAX));
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)  // 16 + MAX_WBITS: gzip wrapper, 32 KiB window
    throw DataError(fmt::format("{}: zlib could not initialise a gzip decoder", where));
  zs.next_in = const_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());

  std::vector<uint8_t> out(std::max<size_t>(compressed.size() * 2, 1 << 16));
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) out.resize(out.size() * 2);
    const size_t room = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    const size_t offset = compressed.size() - zs.avail_in;  // compressed bytes consumed so far
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (a concatenation of gzip files is a valid gzip file).
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in > 0) continue;  // only needed more output room
    std::string what;
    if (rc == Z_BUF_ERROR)
      what = fmt::format(
          "gzip stream ends early: expected more compressed data or the end-of-stream marker after "
          "byte {}, found end of file ({} bytes decompressed so far); the file is truncated",
          offset, produced);
    else
      what =
          fmt::format("corrupt gzip data at compressed byte offset {}: zlib says \"{}\" (error {})",
                      offset, zs.msg ? zs.msg : "no message", rc);
    inflateEnd(&zs);
    throw DataError(fmt::format("{}: {}; replace the file with an intact copy", where, what));
  }
  inflateEnd(&zs);
  out.resize(produced);
  return out;
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& data) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: zlib could not initialise a compressor");
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: compression did not finish");
  out.resize(n);
  return out;
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw DataError(fmt::format("{}: file not found", path.string()));
  if (fs::is_directory(path, ec))
    throw DataError(fmt::format("{}: expected a file, found a directory", path.string()));
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(fmt::format("{}: cannot open for reading", path.string()));
  const auto size = static_cast<size_t>(in.tellg());
  std::vector<uint8_t> bytes(size);
  in.seekg(0);
  if (size && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    throw DataError(
        fmt::format("{}: read error after {} of {} bytes", path.string(), in.gcount(), size));
  return bytes;
}

FileBytes read_file(const fs::path& path) {
  FileBytes file;
  file.bytes = read_bytes(path);
  file.where = path.string();
  if (has_gzip_magic(file.bytes)) {
    file.bytes = gunzip(file.bytes, file.where);
    file.gzipped = true;
    file.where += " (decompressed)";
  } else if (path.extension() == ".gz") {
    const std::string found = file.bytes.size() >= 2
                                  ? fmt::format("{:02x} {:02x}", file.bytes[0], file.bytes[1])
                                  : fmt::format("a file of {} bytes", file.bytes.size());
    throw DataError(fmt::format(
        "{}: corrupt gzip: expected the gzip magic bytes 1f 8b at byte offset 0, found {}; "
        "replace the file with an intact copy",
        file.where, found));
  }
  return file;
}

torch::Tensor parse_idx_images(const FileBytes& file) {
  const auto& b = file.bytes;
  if (b.size() >= 4 && big_endian_u32(b.data()) != kIdxImagesMagic) {
    const uint32_t found = big_endian_u32(b.data());
    throw DataError(fmt::format(
        "{}: wrong magic number at byte offset 0: expected 0x{:08x} (IDX images: unsigned bytes, "
        "3 dimensions), found 0x{:08x}{}",
        file.where, kIdxImagesMagic, found, magic_hint(found)));
  }
  if (b.size() < 16)
    throw DataError(fmt::format(
        "{}: truncated: expected a 16-byte IDX image header (magic, count, rows, cols), found {} "
        "bytes",
        file.where, b.size()));
  const uint64_t n = big_endian_u32(b.data() + 4);
  const uint64_t rows = big_endian_u32(b.data() + 8);
  const uint64_t cols = big_endian_u32(b.data() + 12);
  // Three 32-bit factors can overflow 64 bits: a corrupt header must not wrap around.
  if (rows != 0 && cols != 0 && n > UINT64_MAX / rows / cols)
    throw DataError(
        fmt::format("{}: header (byte offsets 4..15) claims {} images of {}x{}: more "
                    "than any file can hold",
                    file.where, n, rows, cols));
  const uint64_t expected = n * rows * cols;
  const uint64_t found = b.size() - 16;
  if (found < expected)
    throw DataError(fmt::format(
        "{}: truncated: expected {} bytes of pixels ({} images x {} x {}) from byte offset 16, "
        "found {} (the file ends inside image {})",
        file.where, expected, n, rows, cols, found, rows * cols ? found / (rows * cols) : 0));
  if (found > expected)
    throw DataError(fmt::format(
        "{}: {} unexpected bytes after the last image (byte offset {}): expected a file of {} "
        "bytes for {} images of {}x{}, found {}",
        file.where, found - expected, 16 + expected, 16 + expected, n, rows, cols, b.size()));
  auto pixels = torch::empty(
      {static_cast<int64_t>(n), static_cast<int64_t>(rows), static_cast<int64_t>(cols)},
      torch::kUInt8);
  if (expected) std::memcpy(pixels.data_ptr<uint8_t>(), b.data() + 16, expected);
  return pixels;
}

torch::Tensor parse_idx_labels(const FileBytes& file, int64_t num_classes) {
  const auto& b = file.bytes;
  if (b.size() >= 4 && big_endian_u32(b.data()) != kIdxLabelsMagic) {
    const uint32_t found = big_endian_u32(b.data());
    throw DataError(fmt::format(
        "{}: wrong magic number at byte offset 0: expected 0x{:08x} (IDX labels: unsigned bytes, "
        "1 dimension), found 0x{:08x}{}",
        file.where, kIdxLabelsMagic, found, magic_hint(found)));
  }
  if (b.size() < 8)
    throw DataError(fmt::format(
        "{}: truncated: expected an 8-byte IDX label header (magic, count), found {} bytes",
        file.where, b.size()));
  const uint64_t n = big_endian_u32(b.data() + 4);
  const uint64_t found = b.size() - 8;
  if (found < n)
    throw DataError(
        fmt::format("{}: truncated: expected {} label bytes from byte offset 8, found {}",
                    file.where, n, found));
  if (found > n)
    throw DataError(
        fmt::format("{}: {} unexpected bytes after the last label (byte offset {}): expected a "
                    "file of {} bytes "
                    "for {} labels, found {}",
                    file.where, found - n, 8 + n, 8 + n, n, b.size()));
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t label = b[8 + i];
    if (label >= num_classes)
      throw DataError(fmt::format(
          "{}: label out of range: index {} (byte offset {}) has label {}, expected 0..{}",
          file.where, i, 8 + i, label, num_classes - 1));
  }
  auto labels = torch::empty({static_cast<int64_t>(n)}, torch::kUInt8);
  if (n) std::memcpy(labels.data_ptr<uint8_t>(), b.data() + 8, n);
  return labels.to(torch::kLong);
}

torch::Tensor read_idx_images(const fs::path& path) {
  return parse_idx_images(read_file(path));
}

torch::Tensor read_idx_labels(const fs::path& path, int64_t num_classes) {
  return parse_idx_labels(read_file(path), num_classes);
}

RawImages read_idx_split(const fs::path& images, const fs::path& labels, int64_t num_classes,
                         int64_t rows, int64_t cols) {
  const auto image_file = read_file(images);
  auto pixels = parse_idx_images(image_file);
  if (pixels.size(1) != rows || pixels.size(2) != cols)
    throw DataError(
        fmt::format("{}: header (byte offsets 8..15): expected {}x{} images, found {}x{}",
                    image_file.where, rows, cols, pixels.size(1), pixels.size(2)));
  const auto label_file = read_file(labels);
  auto y = parse_idx_labels(label_file, num_classes);
  if (y.size(0) != pixels.size(0))
    throw DataError(fmt::format(
        "image/label count mismatch: {} holds {} images but {} holds {} labels: expected one label "
        "per image",
        image_file.where, pixels.size(0), label_file.where, y.size(0)));
  return {pixels.unsqueeze(1), y};
}

}  // namespace dfkd_image
