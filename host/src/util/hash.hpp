#pragma once
#include <filesystem>
#include <string>

namespace dfkd::host {

/// sha256 of a file's bytes, lowercase hex (OpenSSL). Throws std::runtime_error naming the file.
std::string sha256_file(const std::filesystem::path& file);
/// sha256 of a string, lowercase hex.
std::string sha256_hex(const std::string& data);
/// 128 random bits as 32 hex characters: run and artifact ids that never collide across
/// machines whose stores are merged later.
std::string random_id();

}  // namespace dfkd::host
