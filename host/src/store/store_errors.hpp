#pragma once
/// Internal to store/: how the store's .cpp files read columns and report errors, so that every
/// message names the store file and the operation.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "dfkd/errors.hpp"

namespace dfkd::host::store_detail {

[[noreturn]] inline void fail(const std::filesystem::path& path, const char* operation,
                              const std::string& message) {
  throw std::runtime_error(
      fmt::format("results store '{}': {}: {}", path.string(), operation, message));
}

/// Runs `f`, turning SQLite errors into messages that name the store and the operation. Errors
/// the store throws itself already carry both and pass through unchanged.
template <class F>
auto guarded(const std::filesystem::path& path, const char* operation, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    fail(path, operation, e.what());
  } catch (const nlohmann::json::exception& e) {
    fail(path, operation, std::string("stored JSON is invalid: ") + e.what());
  } catch (const ConfigError& e) {  // stored JSON nested too deep (parse_stored_json)
    throw ConfigError(
        fmt::format("results store '{}': {}: {}", path.string(), operation, e.what()));
  }
}

inline std::string text(const SQLite::Column& c) {
  return c.isNull() ? std::string() : c.getString();
}

}  // namespace dfkd::host::store_detail
