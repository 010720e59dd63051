#include "config/json_parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

/// One open array or object during the scan.
struct Frame {
  bool object = false;
  bool expect_key = false;            ///< object: the next string is a member name
  size_t index = 0;                   ///< array: the element being read
  size_t key_begin = 0, key_end = 0;  ///< object: the member being read, as a range of the text
};

bool plain_key(const std::string& text, size_t begin, size_t end) {
  if (begin == end) return false;
  for (size_t i = begin; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

std::string component(const std::string& text, const Frame& f) {
  if (!f.object) return fmt::format("[{}]", f.index);
  constexpr size_t kMaxKey = 40;
  const size_t len = f.key_end - f.key_begin;
  std::string key = text.substr(f.key_begin, std::min(len, kMaxKey));
  if (len > kMaxKey) key += "...";
  return plain_key(text, f.key_begin, f.key_end) ? "." + key : fmt::format("[\"{}\"]", key);
}

/// The JSON path of the value being read, long paths shortened in the middle.
std::string path_of(const std::string& text, const std::vector<Frame>& stack) {
  std::vector<std::string> parts;
  for (const auto& f : stack) parts.push_back(component(text, f));
  constexpr size_t kHead = 5, kTail = 2;
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts.size() > kHead + kTail + 1 && i == kHead) {
      out += fmt::format("...({} more)...", parts.size() - kHead - kTail);
      i = parts.size() - kTail - 1;
      continue;
    }
    out += parts[i];
  }
  if (!out.empty() && out[0] == '.') out.erase(0, 1);
  return out.empty() ? "the top level" : out;
}

}  // namespace

JsonDepthExcess find_json_depth_excess(const std::string& text, int max_depth) {
  const size_t limit = max_depth < 0 ? 0 : static_cast<size_t>(max_depth);
  std::vector<Frame> stack;
  size_t line = 1, line_start = 0;
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    switch (text[i]) {
      case '\n':
        ++line;
        line_start = i + 1;
        break;
      case '"': {
        size_t j = i + 1;
        while (j < n && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
        if (j > n) j = n;
        if (!stack.empty() && stack.back().object && stack.back().expect_key) {
          stack.back().key_begin = i + 1;
          stack.back().key_end = j;
          stack.back().expect_key = false;
        }
        i = j;  // the closing quote (or the end)
        break;
      }
      case '{':
      case '[':
        if (stack.size() >= limit) return {true, line, i - line_start + 1, path_of(text, stack)};
        stack.push_back(Frame{text[i] == '{', text[i] == '{', 0, 0, 0});
        break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ',':
        if (!stack.empty()) {
          if (stack.back().object)
            stack.back().expect_key = true;
          else
            ++stack.back().index;
        }
        break;
      default:
        break;
    }
  }
  return {};
}

nlohmann::json parse_json_limited(const std::string& text, const std::string& origin,
                                  int max_depth) {
  const auto excess = find_json_depth_excess(text, max_depth);
  if (excess.found)
    throw ConfigError(fmt::format(
        "{}: line {}, column {}: nesting: expected at most {} levels of arrays and objects, found "
        "more at {}; flatten or remove that value (dfkd's own experiment files need fewer than "
        "10 levels)",
        origin, excess.line, excess.column, max_depth, excess.path));
  return nlohmann::json::parse(text);
}

namespace {
using json = nlohmann::json;

// nlohmann's DOM parser drops the position of a number that overflows a double (1e309); its
// SAX interface still reports it (as the count of characters read).
struct ErrorOffset : nlohmann::json_sax<json> {
  std::size_t offset = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    offset = position;
    return false;
  }
};

}  // namespace

std::string json_error_place(const std::string& text) {
  ErrorOffset sax;
  json::sax_parse(text, &sax);
  const auto end = std::min(sax.offset, text.size());
  const auto line =
      1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n');
  const auto last_newline = text.rfind('\n', end == 0 ? 0 : end - 1);
  const auto column = last_newline == std::string::npos || end == 0 ? end : end - last_newline - 1;
  return fmt::format("line {}, column {}", line, column);
}

}  // namespace dfkd::host
