#include "store/artifact_files.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "util/hash.hpp"

namespace dfkd::host {

namespace fs = std::filesystem;

fs::path artifact_root(const fs::path& store_path) {
  return store_path.parent_path() / (store_path.filename().string() + "-artifacts");
}

PublishedFile publish_artifact(const fs::path& pending, const fs::path& dir,
                               const std::string& stem, const std::string& ext) {
  PublishedFile out;
  out.sha256 = sha256_file(pending);
  out.bytes = static_cast<int64_t>(fs::file_size(pending));
  out.path = dir / fmt::format("{}-{}{}", stem, out.sha256.substr(0, 16), ext);
  fs::create_directories(dir);
  if (fs::exists(out.path)) {
    // Same name = same content prefix; the full hash decides (a clash means a damaged file).
    const auto existing = sha256_file(out.path);
    fs::remove(pending);
    if (existing != out.sha256)
      throw std::runtime_error(
          fmt::format("artifact '{}' exists with other content (sha256 {}, expected {}); it was "
                      "modified after it "
                      "was written: restore it or remove the run's artifacts and rerun it",
                      out.path.string(), existing, out.sha256));
    return out;
  }
  fs::rename(pending, out.path);
  fs::permissions(out.path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::replace);
  return out;
}

void verify_artifact(const fs::path& file, const std::string& sha256, const std::string& what) {
  if (!fs::exists(file))
    throw std::runtime_error(
        fmt::format("{} is missing: '{}' (was the artifacts directory moved or "
                    "deleted?); rerun the run that produced it",
                    what, file.string()));
  if (sha256.empty()) return;  // recorded before sha256 was kept
  const auto found = sha256_file(file);
  if (found != sha256)
    throw std::runtime_error(
        fmt::format("{} '{}' has sha256 {} but {} was recorded: the file was "
                    "changed after it was written; restore it or rerun the run "
                    "that produced it",
                    what, file.string(), found, sha256));
}

}  // namespace dfkd::host
