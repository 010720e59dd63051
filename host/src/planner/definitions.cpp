#include "planner/definitions.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

/// A list of named objects (rows, columns) or an object of named values (profiles) by name.
std::map<std::string, json> by_name(const json& def, const char* key) {
  std::map<std::string, json> out;
  if (!def.contains(key)) return out;
  const auto& v = def.at(key);
  if (v.is_array()) {
    for (const auto& item : v)
      if (item.is_object() && item.contains("name") && item.at("name").is_string())
        out.emplace(item.at("name").get<std::string>(), item);
  } else if (v.is_object()) {
    for (const auto& [name, item] : v.items()) out.emplace(name, item);
  }
  return out;
}

void compare_named(const json& a, const json& b, const char* key, std::vector<std::string>& parts) {
  const auto old_items = by_name(a, key), new_items = by_name(b, key);
  std::vector<std::string> removed, added, changed;
  for (const auto& [name, item] : old_items) {
    auto it = new_items.find(name);
    if (it == new_items.end())
      removed.push_back(name);
    else if (it->second != item)
      changed.push_back(name);
  }
  for (const auto& [name, item] : new_items)
    if (!old_items.count(name)) added.push_back(name);
  if (!removed.empty())
    parts.push_back(fmt::format("{} removed: {}", key, fmt::join(removed, ", ")));
  if (!added.empty()) parts.push_back(fmt::format("{} added: {}", key, fmt::join(added, ", ")));
  if (!changed.empty())
    parts.push_back(fmt::format("{} changed: {}", key, fmt::join(changed, ", ")));
}

std::vector<std::string> removed_rows(const json& stored, const json& incoming) {
  const auto old_rows = by_name(stored, "rows"), new_rows = by_name(incoming, "rows");
  std::vector<std::string> out;
  for (const auto& [name, row] : old_rows)
    if (!new_rows.count(name)) out.push_back(name);
  return out;
}

/// Rows among `rows` with at least one completed run in the store's cells of `experiment`.
std::vector<std::string> rows_with_results(const ResultsStore& store, const std::string& experiment,
                                           const std::vector<std::string>& rows) {
  std::set<std::string> wanted(rows.begin(), rows.end()), found;
  for (const auto& c : store.cells(experiment)) {
    if (!wanted.count(c.row) || found.count(c.row)) continue;
    const auto run = store.find_run_by_key(c.run_key);
    if (run && run->status == RunStatus::Completed) found.insert(c.row);
  }
  return {found.begin(), found.end()};
}

}  // namespace

std::string describe_definition_change(const json& stored, const json& incoming) {
  std::vector<std::string> parts;
  compare_named(stored, incoming, "rows", parts);
  compare_named(stored, incoming, "columns", parts);
  compare_named(stored, incoming, "profiles", parts);
  std::set<std::string> keys;
  for (const auto& [k, v] : stored.items()) keys.insert(k);
  for (const auto& [k, v] : incoming.items()) keys.insert(k);
  std::vector<std::string> other;
  for (const auto& k : keys) {
    if (k == "rows" || k == "columns" || k == "profiles") continue;
    if (stored.value(k, json()) != incoming.value(k, json())) other.push_back(k);
  }
  if (!other.empty()) parts.push_back(fmt::format("changed: {}", fmt::join(other, ", ")));
  return fmt::format("{}", fmt::join(parts, "; "));
}

void check_definition(const Experiment& exp, const ResultsStore* store, bool replace,
                      std::FILE* out) {
  const auto stored = store ? store->experiment_definition(exp.name) : std::nullopt;
  if (!stored || *stored == exp.source) return;
  const std::string changes = describe_definition_change(*stored, exp.source);
  const std::string stored_file = store->experiment_source_file(exp.name);
  // A stored path that does not exist here, of a file with the same name, came with an ingested
  // archive from another clone or machine: the same experiment file, elsewhere. Two files present
  // here, or a file of another name, are two experiments.
  std::error_code ec;
  const bool elsewhere = !stored_file.empty() && !exp.source_file.empty() &&
                         !std::filesystem::exists(stored_file, ec) &&
                         std::filesystem::path(stored_file).filename() ==
                             std::filesystem::path(exp.source_file).filename();
  const bool other_file = !stored_file.empty() && !exp.source_file.empty() &&
                          stored_file != exp.source_file && !elsewhere;
  const auto lost = rows_with_results(*store, exp.name, removed_rows(*stored, exp.source));
  const std::string from =
      exp.source_file.empty() ? std::string("this definition") : exp.source_file;
  const std::string what = changes.empty() ? std::string("no structural change") : changes;
  if ((other_file || !lost.empty()) && !replace) {
    const std::string why =
        other_file
            ? fmt::format("it was stored from {}, and {} defines the same name differently",
                          stored_file, from)
            : fmt::format("{} drops row(s) with completed runs: {}", from, fmt::join(lost, ", "));
    throw ConfigError(
        fmt::format("experiment '{}' in {}: {} ({}). Tables and `dfkd status` read the stored "
                    "definition, so replacing it "
                    "would change what they show. To keep both, give the file its own "
                    "\"experiment\" name; to replace the "
                    "stored one, add --replace-definition",
                    exp.name, store->path().string(), why, what));
  }
  fmt::print(out, "dfkd: {} changes the stored definition of experiment '{}'{}: {}\n", from,
             exp.name,
             elsewhere && stored_file != exp.source_file
                 ? fmt::format(" (stored from {}, which is not on this machine)", stored_file)
                 : "",
             what);
}

std::vector<std::string> unpatched_row_warnings(const Experiment& exp,
                                                const std::vector<std::string>& rows) {
  const auto& profiles = exp.source.value("profiles", json::object());
  if (!profiles.contains(exp.profile)) return {};
  const auto patches = profiles.at(exp.profile).value("rows", json::object());
  if (patches.empty()) return {};  // a profile that patches no row treats them all alike
  std::vector<std::string> patched;
  for (const auto& [name, patch] : patches.items()) patched.push_back(name);
  std::vector<std::string> out;
  for (const auto& row : exp.rows) {
    const std::string name = row.at("name");
    if (row.contains("teacher") || patches.contains(name)) continue;
    if (!rows.empty() && std::find(rows.begin(), rows.end(), name) == rows.end()) continue;
    out.push_back(fmt::format(
        "row '{}' has no patch in profile '{}', which patches rows {}: '{}' runs with its base "
        "settings; add \"{}\": {{}} under profiles.{}.rows if that is meant",
        name, exp.profile, fmt::join(patched, ", "), name, name, exp.profile));
  }
  return out;
}

void store_definition(const Experiment& exp, ResultsStore& store, bool replace, std::FILE* out) {
  check_definition(exp, &store, replace, out);
  store.upsert_experiment(exp.name, exp.title, exp.source, exp.source_file);
}

}  // namespace dfkd::host
