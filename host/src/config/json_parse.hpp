#pragma once
/// Parsing JSON that comes from users (experiment files, and what dfkd stored of them: the
/// results store's definitions and configs, sweep manifests) with a nesting-depth limit.
///
/// nlohmann::json copies, dumps and compares values recursively: a value nested 100,000 levels
/// deep parses, then overflows the stack in the first copy. parse_json_limited() measures the
/// depth with a non-recursive scan of the text before handing it to the parser, so such a file
/// is a ConfigError naming where the limit was exceeded instead of a SIGSEGV.
#include <string>

#include <nlohmann/json.hpp>

namespace dfkd::host {

/// Arrays and objects nested in a file people write (the deepest experiment dfkd ships has 8).
constexpr int kJsonDepthLimit = 64;
/// JSON dfkd wrote itself that embeds a user's file one or two levels down (a sweep manifest's
/// experiment_definition, the store's definition_json and config_json).
constexpr int kStoredJsonDepthLimit = 2 * kJsonDepthLimit;

/// Where the first array or object deeper than the limit opens; found == false if none does.
struct JsonDepthExcess {
  bool found = false;
  size_t line = 0, column = 0;  ///< 1-based; column counts bytes
  std::string path;             ///< JSON path of that value, e.g. description[0][0]...
};

/// Scans `text` without recursion and without building anything; strings (with escapes) are
/// skipped, so brackets inside them do not count. Meaningful for valid JSON; on invalid JSON it
/// still terminates and the parser reports the syntax error.
JsonDepthExcess find_json_depth_excess(const std::string& text, int max_depth);

/// Parses `text` like nlohmann::json::parse (a syntax error throws json::parse_error, as
/// before, for the caller's message); first throws ConfigError if arrays/objects nest deeper
/// than `max_depth`, naming `origin` (a file path, "results store 'x': experiment 'y'", ...),
/// line, column, JSON path, the limit and what to do.
nlohmann::json parse_json_limited(const std::string& text, const std::string& origin,
                                  int max_depth = kJsonDepthLimit);

/// "line L, column C" of the first error in `text`, for the errors nlohmann's DOM parser reports
/// without a position (a number that overflows a double, 1e309).
std::string json_error_place(const std::string& text);

}  // namespace dfkd::host
