#include "config/json_check.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "dfkd/errors.hpp"

namespace dfkd::host {

std::string json_kind(const nlohmann::json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number_float()) return "real";
  return v.type_name();
}

const nlohmann::json& require_object(const nlohmann::json& v, const std::string& path) {
  if (!v.is_object())
    throw ConfigError(fmt::format("{}: expected an object, found {}", path, json_kind(v)));
  return v;
}

const nlohmann::json& require_array(const nlohmann::json& v, const std::string& path) {
  if (!v.is_array())
    throw ConfigError(fmt::format("{}: expected an array, found {}", path, json_kind(v)));
  return v;
}

std::string require_string(const nlohmann::json& v, const std::string& path) {
  if (!v.is_string())
    throw ConfigError(fmt::format("{}: expected a string, found {}", path, json_kind(v)));
  return v.get<std::string>();
}

int64_t require_int(const nlohmann::json& v, const std::string& path, int64_t min_value,
                    int64_t max_value) {
  if (!v.is_number_integer())
    throw ConfigError(
        fmt::format("{}: expected an integer, found {} ({})", path, json_kind(v), v.dump()));
  // (An unsigned value above INT64_MAX must not wrap to a negative one.)
  const bool above = v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(max_value)
                                            : v.get<int64_t>() > max_value;
  if (above || v.get<int64_t>() < min_value) {
    if (max_value == std::numeric_limits<int64_t>::max())
      throw ConfigError(
          fmt::format("{}: expected an integer >= {}, found {}", path, min_value, v.dump()));
    throw ConfigError(fmt::format("{}: expected an integer in [{}, {}], found {}", path, min_value,
                                  max_value, v.dump()));
  }
  return v.get<int64_t>();
}

double require_number(const nlohmann::json& v, const std::string& path) {
  if (!v.is_number())
    throw ConfigError(
        fmt::format("{}: expected a number, found {} ({})", path, json_kind(v), v.dump()));
  const double x = v.get<double>();
  if (!std::isfinite(x) || std::fabs(x) > FLT_MAX)
    throw ConfigError(
        fmt::format("{}: expected a finite number representable as a float "
                    "(|x| <= {:g}), found {}",
                    path, FLT_MAX, v.dump()));
  return x;
}

bool require_bool(const nlohmann::json& v, const std::string& path) {
  if (!v.is_boolean())
    throw ConfigError(
        fmt::format("{}: expected true or false, found {} ({})", path, json_kind(v), v.dump()));
  return v.get<bool>();
}

void check_keys(const nlohmann::json& v, const std::string& path, const KeySet& keys) {
  require_object(v, path);
  std::vector<std::string> all = keys.required;
  all.insert(all.end(), keys.optional.begin(), keys.optional.end());
  for (const auto& [key, value] : v.items()) {
    if (std::find(all.begin(), all.end(), key) == all.end())
      throw ConfigError(fmt::format("{}.{}: unknown key{}; valid keys here: {}", path, key,
                                    did_you_mean(key, all), fmt::join(all, ", ")));
  }
  for (const auto& key : keys.required)
    if (!v.contains(key))
      throw ConfigError(fmt::format("{}: missing required key '{}'; keys here: {}", path, key,
                                    fmt::join(all, ", ")));
}

}  // namespace dfkd::host
