#pragma once
/// Error types shared by host and plugins. Messages follow one shape:
/// "<where>: <what>: expected <x>, found <y>[; <what to do>]".
#include <stdexcept>
#include <string>
#include <vector>

namespace dfkd {

/// A configuration problem (experiment JSON, plugin options, CLI values): exit code 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input data (corrupt, truncated or missing data files).
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Training produced a non-finite value; carries where it happened.
class NonFiniteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// " (did you mean 'x'?)" when `name` is a likely typo of exactly one of `known` (at most two
/// edits, a swap of neighbours counting as one, and fewer than half its length); "" otherwise.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& known);

}  // namespace dfkd
