#include "dfkd/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <set>
#include <stdexcept>

#include "dfkd/errors.hpp"

namespace dfkd {

const char* to_string(OptionType type) {
  switch (type) {
    case OptionType::Integer:
      return "integer";
    case OptionType::Real:
      return "real";
    case OptionType::Boolean:
      return "boolean";
    case OptionType::String:
      return "string";
    case OptionType::IntegerList:
      return "list of integers";
    case OptionType::RealList:
      return "list of reals";
    case OptionType::StringList:
      return "list of strings";
  }
  return "?";
}

OptionSpec option_int(std::string name, int64_t value, std::string doc) {
  return {std::move(name), OptionType::Integer, value, std::move(doc), {}};
}
OptionSpec option_real(std::string name, double value, std::string doc) {
  return {std::move(name), OptionType::Real, value, std::move(doc), {}};
}
OptionSpec option_bool(std::string name, bool value, std::string doc) {
  return {std::move(name), OptionType::Boolean, value, std::move(doc), {}};
}
OptionSpec option_string(std::string name, std::string value, std::string doc,
                         std::vector<std::string> choices) {
  return {std::move(name), OptionType::String, value, std::move(doc), std::move(choices)};
}
OptionSpec option_ints(std::string name, std::vector<int64_t> value, std::string doc) {
  return {std::move(name), OptionType::IntegerList, value, std::move(doc), {}};
}
OptionSpec option_reals(std::string name, std::vector<double> value, std::string doc) {
  return {std::move(name), OptionType::RealList, value, std::move(doc), {}};
}
OptionSpec option_strings(std::string name, std::vector<std::string> value, std::string doc) {
  return {std::move(name), OptionType::StringList, value, std::move(doc), {}};
}
OptionSpec option_required(std::string name, OptionType type, std::string doc) {
  return {std::move(name), type, nullptr, std::move(doc), {}};
}

OptionSpec OptionSpec::at_least(double bound) const {
  OptionSpec s = *this;
  s.min_value = bound;
  s.min_exclusive = false;
  return s;
}
OptionSpec OptionSpec::greater_than(double bound) const {
  OptionSpec s = *this;
  s.min_value = bound;
  s.min_exclusive = true;
  return s;
}
OptionSpec OptionSpec::at_most(double bound) const {
  OptionSpec s = *this;
  s.max_value = bound;
  s.max_exclusive = false;
  return s;
}
OptionSpec OptionSpec::less_than(double bound) const {
  OptionSpec s = *this;
  s.max_value = bound;
  s.max_exclusive = true;
  return s;
}
OptionSpec OptionSpec::non_empty() const {
  OptionSpec s = *this;
  s.min_items = 1;
  return s;
}

std::string describe_range(const OptionSpec& s) {
  if (s.min_value && s.max_value)
    return fmt::format("in {}{}, {}{}", s.min_exclusive ? "(" : "[", *s.min_value, *s.max_value,
                       s.max_exclusive ? ")" : "]");
  if (s.min_value) return fmt::format("{} {}", s.min_exclusive ? ">" : ">=", *s.min_value);
  if (s.max_value) return fmt::format("{} {}", s.max_exclusive ? "<" : "<=", *s.max_value);
  return "";
}

namespace {

bool is_numeric(OptionType t) {
  return t == OptionType::Integer || t == OptionType::Real || t == OptionType::IntegerList ||
         t == OptionType::RealList;
}
bool is_real(OptionType t) {
  return t == OptionType::Real || t == OptionType::RealList;
}
bool is_list(OptionType t) {
  return t == OptionType::IntegerList || t == OptionType::RealList || t == OptionType::StringList;
}

// One number of a numeric option (or list element) against the spec's range; "" when it is fine,
// else what was expected.
std::string range_violation(const OptionSpec& s, const nlohmann::json& v) {
  const double x = v.get<double>();
  const char* what = is_real(s.type) ? "a number" : "an integer";
  // JSON cannot spell inf or NaN, but 1e308 is finite and still overflows a float in LibTorch.
  if (is_real(s.type) && !(std::isfinite(x) && std::fabs(x) <= FLT_MAX))
    return fmt::format("a finite number representable as a float (|x| <= {:g})", FLT_MAX);
  const bool below = s.min_value && (s.min_exclusive ? !(x > *s.min_value) : !(x >= *s.min_value));
  const bool above = s.max_value && (s.max_exclusive ? !(x < *s.max_value) : !(x <= *s.max_value));
  if (below || above) return fmt::format("{} {}", what, describe_range(s));
  return "";
}

std::string json_type_name(const nlohmann::json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number_float()) return "real";
  return v.type_name();
}

// Integers are accepted where reals are expected (1 is a fine learning-rate multiplier);
// reals are never silently truncated to integers.
bool matches(OptionType type, const nlohmann::json& v) {
  switch (type) {
    case OptionType::Integer:
      return v.is_number_integer();
    case OptionType::Real:
      return v.is_number();
    case OptionType::Boolean:
      return v.is_boolean();
    case OptionType::String:
      return v.is_string();
    case OptionType::IntegerList:
      if (!v.is_array()) return false;
      for (const auto& e : v)
        if (!e.is_number_integer()) return false;
      return true;
    case OptionType::RealList:
      if (!v.is_array()) return false;
      for (const auto& e : v)
        if (!e.is_number()) return false;
      return true;
    case OptionType::StringList:
      if (!v.is_array()) return false;
      for (const auto& e : v)
        if (!e.is_string()) return false;
      return true;
  }
  return false;
}

nlohmann::json normalised(OptionType type, const nlohmann::json& v) {
  // Store reals as reals so that 1 and 1.0 hash to the same run_key.
  if (type == OptionType::Real) return v.get<double>();
  if (type == OptionType::RealList) {
    auto out = nlohmann::json::array();
    for (const auto& e : v) out.push_back(e.get<double>());
    return out;
  }
  return v;
}

std::vector<std::string> names_of(const std::vector<OptionSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  return names;
}

std::string valid_keys(const std::vector<OptionSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(fmt::format("{} ({})", s.name, to_string(s.type)));
  return names.empty() ? std::string("none: this plugin takes no options")
                       : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

nlohmann::json resolve_options(const std::vector<OptionSpec>& specs, const nlohmann::json& given,
                               const std::string& path) {
  return resolve_options(specs, given, path, {});
}

nlohmann::json resolve_options(const std::vector<OptionSpec>& specs, const nlohmann::json& given,
                               const std::string& path,
                               const std::map<std::string, std::string>& value_paths) {
  auto where = [&](const std::string& name) {
    auto it = value_paths.find(name);
    return it != value_paths.end() ? it->second : path + "." + name;
  };
  if (!given.is_null() && !given.is_object())
    throw ConfigError(
        fmt::format("{}: expected an object of options, found {}", path, json_type_name(given)));
  std::set<std::string> known;
  for (const auto& s : specs) known.insert(s.name);
  if (given.is_object()) {
    for (const auto& [key, value] : given.items()) {
      if (!known.count(key))
        throw ConfigError(fmt::format("{}: unknown option{}; valid options: {}", where(key),
                                      did_you_mean(key, names_of(specs)), valid_keys(specs)));
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : specs) {
    const bool present = given.is_object() && given.contains(s.name);
    if (!present) {
      if (s.default_value.is_null())
        throw ConfigError(fmt::format("{}.{}: missing required option ({}: {})", path, s.name,
                                      to_string(s.type), s.doc));
      out[s.name] = normalised(s.type, s.default_value);
      continue;
    }
    const auto& v = given.at(s.name);
    const auto vpath = where(s.name);
    if (!matches(s.type, v))
      throw ConfigError(fmt::format("{}: wrong type: expected {}, found {} ({})", vpath,
                                    to_string(s.type), json_type_name(v), v.dump()));
    if (!s.choices.empty() &&
        std::find(s.choices.begin(), s.choices.end(), v.get<std::string>()) == s.choices.end())
      throw ConfigError(fmt::format("{}: expected one of {}, found \"{}\"", vpath,
                                    fmt::join(s.choices, ", "), v.get<std::string>()));
    if (is_list(s.type) && v.size() < s.min_items)
      throw ConfigError(fmt::format("{}: expected a list of at least {} element{}, found {}", vpath,
                                    s.min_items, s.min_items == 1 ? "" : "s", v.dump()));
    if (is_numeric(s.type)) {
      if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i)
          if (const auto e = range_violation(s, v[i]); !e.empty())
            throw ConfigError(
                fmt::format("{}[{}]: expected {}, found {}", vpath, i, e, v[i].dump()));
      } else if (const auto e = range_violation(s, v); !e.empty()) {
        throw ConfigError(fmt::format("{}: expected {}, found {}", vpath, e, v.dump()));
      }
    }
    out[s.name] = normalised(s.type, v);
  }
  return out;
}

Options::Options(std::string owner, nlohmann::json resolved)
    : owner_(std::move(owner)), values_(std::move(resolved)) {}

const nlohmann::json& Options::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw std::logic_error(
        fmt::format("{}: option '{}' was read but never declared in info()", owner_, name));
  return *it;
}

namespace {

const char* accessor(OptionType type) {
  switch (type) {
    case OptionType::Integer:
      return "integer";
    case OptionType::Real:
      return "real";
    case OptionType::Boolean:
      return "boolean";
    case OptionType::String:
      return "string";
    case OptionType::IntegerList:
      return "integers";
    case OptionType::RealList:
      return "reals";
    case OptionType::StringList:
      return "strings";
  }
  return "?";
}

}  // namespace

// A resolved value always has its declared type, so a value the accessor cannot read means the
// plugin reads the option as another type than info() declares: a real read with integer() would
// otherwise be truncated to 0 without a word.
const nlohmann::json& Options::at(const std::string& name, OptionType as) const {
  const auto& v = at(name);
  if (!matches(as, v))
    throw std::logic_error(fmt::format(
        "{}: option '{}' holds {} {} but is read with Options::{}(); read it with the accessor "
        "of the type info() declares for it",
        owner_, name, json_type_name(v), v.dump(), accessor(as)));
  return v;
}

int64_t Options::integer(const std::string& n) const {
  return at(n, OptionType::Integer).get<int64_t>();
}
double Options::real(const std::string& n) const {
  return at(n, OptionType::Real).get<double>();
}
bool Options::boolean(const std::string& n) const {
  return at(n, OptionType::Boolean).get<bool>();
}
std::string Options::string(const std::string& n) const {
  return at(n, OptionType::String).get<std::string>();
}
std::vector<int64_t> Options::integers(const std::string& n) const {
  return at(n, OptionType::IntegerList).get<std::vector<int64_t>>();
}
std::vector<double> Options::reals(const std::string& n) const {
  return at(n, OptionType::RealList).get<std::vector<double>>();
}
std::vector<std::string> Options::strings(const std::string& n) const {
  return at(n, OptionType::StringList).get<std::vector<std::string>>();
}

}  // namespace dfkd
