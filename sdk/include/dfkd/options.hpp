#pragma once
/// Plugin options: what a plugin declares (OptionSpec) and what it receives (Options).
///
/// The host validates every experiment-JSON options block strictly against the declared specs
/// (unknown key, wrong type, missing required key are errors naming the JSON path) and fills the
/// defaults; the plugin then only ever sees a complete, typed `Options`.
///
/// Example:
///   std::vector<dfkd::OptionSpec> options = {
///       dfkd::option_int("student_steps", 5, "student steps per generator step"),
///       dfkd::option_real("student_lr", 0.1, "SGD learning rate of the student").greater_than(0)};
///
/// Numeric options may carry a range (`at_least`, `greater_than`, `at_most`, `less_than`, checked
/// for an integer or real option and for each element of a list of them); the host refuses a value
/// outside it at parse time, naming the JSON path: `...options.student_lr: expected a number > 0,
/// found -0.05`. Every real is also checked to be finite and representable as a float
/// (|x| <= FLT_MAX), since LibTorch uses most of them as floats. Ranges are metadata: they do not
/// change the resolved options, hence no run_key.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfkd {

enum class OptionType { Integer, Real, Boolean, String, IntegerList, RealList, StringList };

/// "integer", "real", ... as written in error messages and `dfkd plugins --json`.
const char* to_string(OptionType type);

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::Real;
  nlohmann::json default_value;  ///< null: the option is required
  std::string doc;
  std::vector<std::string> choices;  ///< for String options: the allowed values (empty: any)
  /// Numeric options (and each element of numeric lists): inclusive or exclusive bounds; unset =
  /// none.
  std::optional<double> min_value, max_value;
  bool min_exclusive = false, max_exclusive = false;
  /// List options: the minimum number of elements.
  std::size_t min_items = 0;

  /// Copies of this spec with a bound added (chain them: `.at_least(0).less_than(1)`).
  OptionSpec at_least(double bound) const;      ///< value >= bound
  OptionSpec greater_than(double bound) const;  ///< value > bound
  OptionSpec at_most(double bound) const;       ///< value <= bound
  OptionSpec less_than(double bound) const;     ///< value < bound
  OptionSpec non_empty() const;                 ///< lists: at least one element
};

/// The spec's range as written in messages: "> 0", ">= 1", "in [0, 1)", "" when unbounded.
std::string describe_range(const OptionSpec& spec);

OptionSpec option_int(std::string name, int64_t default_value, std::string doc);
OptionSpec option_real(std::string name, double default_value, std::string doc);
OptionSpec option_bool(std::string name, bool default_value, std::string doc);
OptionSpec option_string(std::string name, std::string default_value, std::string doc,
                         std::vector<std::string> choices = {});
OptionSpec option_ints(std::string name, std::vector<int64_t> default_value, std::string doc);
OptionSpec option_reals(std::string name, std::vector<double> default_value, std::string doc);
OptionSpec option_strings(std::string name, std::vector<std::string> default_value,
                          std::string doc);
/// A required option (no default) of the given type.
OptionSpec option_required(std::string name, OptionType type, std::string doc);

/// Checks `given` (a JSON object, may be null) against `specs` and returns the resolved object with
/// every default filled. Throws dfkd::ConfigError naming `json_path` on any mismatch.
nlohmann::json resolve_options(const std::vector<OptionSpec>& specs, const nlohmann::json& given,
                               const std::string& json_path);
/// Same, naming each given option at `value_paths[name]` when it has one (e.g. the profile patch
/// that set it) instead of `json_path`.name.
nlohmann::json resolve_options(const std::vector<OptionSpec>& specs, const nlohmann::json& given,
                               const std::string& json_path,
                               const std::map<std::string, std::string>& value_paths);

/// Resolved options as a plugin receives them. Reading an option the plugin did not declare, or
/// with the accessor of another type (integer() on a real), is a programming error and throws
/// std::logic_error naming the option.
class Options {
 public:
  Options() = default;
  Options(std::string owner, nlohmann::json resolved);

  int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  bool boolean(const std::string& name) const;
  std::string string(const std::string& name) const;
  std::vector<int64_t> integers(const std::string& name) const;
  std::vector<double> reals(const std::string& name) const;
  std::vector<std::string> strings(const std::string& name) const;
  const nlohmann::json& json() const { return values_; }
  const std::string& owner() const { return owner_; }

 private:
  const nlohmann::json& at(const std::string& name) const;
  const nlohmann::json& at(const std::string& name, OptionType as) const;
  std::string owner_;
  nlohmann::json values_ = nlohmann::json::object();
};

}  // namespace dfkd
