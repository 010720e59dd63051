#pragma once
/// Artifact files on disk. A store owns one directory, `<store file>-artifacts/` beside it (two
/// stores in one folder never share files), with one sub-directory per run_key. Published files
/// are immutable and content-addressed (`model-<sha256 prefix>.pt`): retraining a run adds a file
/// beside the old one, so every run that recorded an artifact's sha256 can still find it.
#include <cstdint>
#include <filesystem>
#include <string>

namespace dfkd::host {

/// `<dir of store>/<store file name>-artifacts`.
std::filesystem::path artifact_root(const std::filesystem::path& store_path);

struct PublishedFile {
  std::filesystem::path path;  ///< absolute or as given: `dir/<stem>-<sha16><ext>`
  std::string sha256;
  int64_t bytes = 0;
};

/// Moves the finished file `pending` to `dir/<stem>-<first 16 hex of its sha256><ext>` and makes
/// it read-only. If that file exists already it must have the same content (then `pending` is
/// dropped); a file is never replaced. Throws std::runtime_error naming both files otherwise.
PublishedFile publish_artifact(const std::filesystem::path& pending,
                               const std::filesystem::path& dir, const std::string& stem,
                               const std::string& ext);

/// Verifies that `file` exists and has content `sha256`; throws naming what differs and what to do.
void verify_artifact(const std::filesystem::path& file, const std::string& sha256,
                     const std::string& what);

}  // namespace dfkd::host
