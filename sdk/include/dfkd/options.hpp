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
///       dfkd::option_real("lr_student", 0.1, "SGD learning rate of the student")};
#include <cstdint>
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
};

OptionSpec option_int(std::string name, int64_t default_value, std::string doc);
OptionSpec option_real(std::string name, double default_value, std::string doc);
OptionSpec option_bool(std::string name, bool default_value, std::string doc);
OptionSpec option_string(std::string name, std::string default_value, std::string doc,
                         std::vector<std::string> choices = {});
OptionSpec option_ints(std::string name, std::vector<int64_t> default_value, std::string doc);
OptionSpec option_reals(std::string name, std::vector<double> default_value, std::string doc);
OptionSpec option_strings(std::string name, std::vector<std::string> default_value, std::string doc);
/// A required option (no default) of the given type.
OptionSpec option_required(std::string name, OptionType type, std::string doc);

/// Checks `given` (a JSON object, may be null) against `specs` and returns the resolved object with
/// every default filled. Throws dfkd::ConfigError naming `json_path` on any mismatch.
nlohmann::json resolve_options(const std::vector<OptionSpec>& specs, const nlohmann::json& given,
                               const std::string& json_path);

/// Resolved options as a plugin receives them. Reading an option the plugin did not declare
/// is a programming error and throws std::logic_error naming the option.
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
  std::string owner_;
  nlohmann::json values_ = nlohmann::json::object();
};

}  // namespace dfkd
