#pragma once
/// Strict JSON reading for configuration files: every error names the JSON path, what was
/// expected and what was found, and lists the valid keys.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfkd::host {

struct KeySet {
  std::vector<std::string> required;
  std::vector<std::string> optional;
};

/// Throws ConfigError if `value` is not an object, has a key outside `keys`, or lacks a required
/// one.
void check_keys(const nlohmann::json& value, const std::string& path, const KeySet& keys);

const nlohmann::json& require_object(const nlohmann::json& value, const std::string& path);
const nlohmann::json& require_array(const nlohmann::json& value, const std::string& path);
std::string require_string(const nlohmann::json& value, const std::string& path);
int64_t require_int(const nlohmann::json& value, const std::string& path, int64_t min_value,
                    int64_t max_value = std::numeric_limits<int64_t>::max());
/// A number that is finite and representable as a float (|x| <= FLT_MAX): LibTorch computes in
/// float, so 1e308 would only fail at run time.
double require_number(const nlohmann::json& value, const std::string& path);
bool require_bool(const nlohmann::json& value, const std::string& path);

/// "integer", "real", "string", ... for messages.
std::string json_kind(const nlohmann::json& value);

}  // namespace dfkd::host
