#pragma once
// A fresh directory under the system temporary directory for one test, removed with its content
// when the object goes (also when the test fails).
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace dfkd::test_support {

class TempDir {
 public:
  /// `prefix` names the directory after its test, e.g. "dfkd_store_test_".
  explicit TempDir(const std::string& prefix = "dfkd_test_") {
    std::random_device random;
    // create_directory is false when the name exists: another one is drawn, so no two tests (or
    // processes) ever share a directory. Default permissions, not mkdtemp's 0700: some tests let
    // another user (nobody) into it.
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = std::filesystem::temp_directory_path() /
              fmt::format("{}{:08x}{:08x}", prefix, random(), random());
      if (std::filesystem::create_directory(path_)) return;
    }
    throw std::runtime_error("TempDir: no free name for prefix " + prefix);
  }
  ~TempDir() {
    std::error_code ec;  // never throw from a destructor; a leftover directory is harmless
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace dfkd::test_support
