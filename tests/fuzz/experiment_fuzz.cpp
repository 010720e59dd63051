// libFuzzer target: the experiment-file parser (what `dfkd run <file>` does before any plugin is
// involved): JSON bytes -> nlohmann::json -> parse_experiment() with the default profile, then with
// every other profile the file defines. A bad file may only be refused with a ConfigError (exit 2,
// a message naming the JSON path); any other exception escaping is a finding.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <dfkd/errors.hpp>

#include "config/experiment.hpp"
#include "fuzz_check.hpp"

namespace {

void use(const dfkd::host::Experiment& exp) {
  const auto rows = exp.row_names();
  const auto columns = exp.column_names();
  FUZZ_CHECK(rows.size() == exp.rows.size() && columns.size() == exp.columns.size());
  for (const auto& r : rows)
    for (const auto& c : columns) (void)exp.paper_value(r, c);
  (void)exp.source.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json source = nlohmann::json::parse(data, data + size, nullptr, false);
  if (source.is_discarded()) return 0;  // not JSON: load_experiment refuses it before parsing
  std::vector<std::string> profiles;
  try {
    const auto exp = dfkd::host::parse_experiment(source, "", "fuzz.json");
    FUZZ_CHECK(!exp.profile.empty() && exp.seeds >= 1);
    use(exp);
    profiles = exp.profiles;
  } catch (const dfkd::ConfigError&) {
    return 0;
  }
  for (const auto& p : profiles) {
    try {
      const auto exp = dfkd::host::parse_experiment(source, p, "fuzz.json");
      FUZZ_CHECK(exp.profile == p);
      use(exp);
    } catch (const dfkd::ConfigError&) {
    }
  }
  return 0;
}
