#include "config/grid.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <map>

#include "config/json_check.hpp"
#include "config/origins.hpp"
#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

/// One step of a grid path: an object key, or a list index (empty key).
struct Step {
  std::string key;
  size_t index = 0;
  bool is_index() const { return key.empty(); }
};

/// One path of a row's grid: where it writes, how its rows are named, its values.
struct Dimension {
  std::string
      entry;  ///< JSON path of the grid entry: x.json.rows[7].grid["regularizers[2].weight"]
  std::vector<Step> steps;
  std::string canonical;  ///< the steps as error paths write them
  std::string label;
  std::vector<json> values;
  std::vector<std::string> value_labels;
};

// The first `n` steps as error paths write them: regularizers[2].options.
std::string join_steps(const std::vector<Step>& steps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += steps[i].is_index() ? fmt::format("[{}]", steps[i].index)
                               : (i == 0 ? "" : ".") + steps[i].key;
  return out;
}

// KEY(.KEY|[INDEX])*; a key is anything but '.', '[' and ']' (plugin options and row keys are).
std::vector<Step> parse_path(const std::string& text, const std::string& entry) {
  const auto bad = [&](size_t at, const std::string& what) {
    return ConfigError(fmt::format(
        "{}: not a grid path: {} at character {}; expected keys separated by '.' and list "
        "indices in brackets, e.g. \"regularizers[2].weight\"",
        entry, what, at + 1));
  };
  std::vector<Step> steps;
  const size_t n = text.size();
  size_t i = 0;
  bool key_next = true;
  while (true) {
    if (key_next) {
      size_t j = i;
      while (j < n && text[j] != '.' && text[j] != '[' && text[j] != ']') ++j;
      if (j == i) throw bad(i, "an empty key");
      steps.push_back({text.substr(i, j - i)});
      i = j;
    }
    if (i == n) return steps;
    key_next = text[i] == '.';
    if (key_next) {
      ++i;
      continue;
    }
    if (text[i] != '[') throw bad(i, fmt::format("an unexpected '{}'", text[i]));
    size_t j = i + 1;
    while (j < n && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i + 1 || j == n || text[j] != ']' || j - i > 10)
      throw bad(i, "a list index that is not a number in brackets");
    steps.push_back({"", std::stoul(text.substr(i + 1, j - i - 1))});
    i = j + 1;
  }
}

std::string keys_of(const json& object) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : object.items()) keys.push_back(k);
  return keys.empty() ? "none" : fmt::format("{}", fmt::join(keys, ", "));
}

// The value `d` names in `row`. Only a plugin option the row does not write (and the plugin's
// "options" on the way to it) is created: anywhere else a missing key is a typo.
json& locate(json& row, const Dimension& d) {
  json* n = &row;
  for (size_t s = 0; s < d.steps.size(); ++s) {
    const Step& step = d.steps[s];
    const std::string here = s == 0 ? "the row" : join_steps(d.steps, s);
    if (step.is_index()) {
      if (!n->is_array())
        throw ConfigError(fmt::format("{}: {} is {}, not a list; [{}] indexes a list", d.entry,
                                      here, json_kind(*n), step.index));
      if (step.index >= n->size())
        throw ConfigError(fmt::format("{}: {} has {} entries, expected an index < {}", d.entry,
                                      here, n->size(), n->size()));
      n = &(*n)[step.index];
      continue;
    }
    if (!n->is_object())
      throw ConfigError(fmt::format("{}: {} is {}, not an object; it has no key '{}'", d.entry,
                                    here, json_kind(*n), step.key));
    if (!n->contains(step.key)) {
      const bool option = s + 1 == d.steps.size() && s > 0 && d.steps[s - 1].key == "options";
      const bool options_block = step.key == "options" && n->contains("plugin");
      if (!option && !options_block)
        throw ConfigError(fmt::format(
            "{}: {} has no key '{}'; keys there: {} (a grid sets values the row writes; only a "
            "plugin option may be new)",
            d.entry, here, step.key, keys_of(*n)));
      (*n)[step.key] = json::object();
    }
    n = &(*n)[step.key];
  }
  return *n;
}

// Points the row's origin tree at `value_origin` for the value `steps` name. A list is one leaf
// of an origin tree (its path); a list on the way becomes an object of its entries ("[0]", ...,
// as origin_element reads them) so that only the grid's value moves.
void set_origin(json& origin, const json& row, const std::vector<Step>& steps, json value_origin) {
  json* o = &origin;
  const json* r = &row;
  for (size_t s = 0; s < steps.size(); ++s) {
    if (steps[s].is_index() && o->is_string()) {
      const std::string list_path = o->get<std::string>();
      json entries = json::object();
      for (size_t k = 0; k < r->size(); ++k)
        entries[fmt::format("[{}]", k)] = origin_tree((*r)[k], json_path(list_path, k));
      *o = std::move(entries);
    }
    if (!o->is_object()) *o = json::object();  // e.g. a plugin's "options" the grid created
    if (steps[s].is_index()) {
      o = &(*o)[fmt::format("[{}]", steps[s].index)];
      r = &r->at(steps[s].index);
    } else {
      o = &(*o)[steps[s].key];
      r = &r->at(steps[s].key);
    }
  }
  *o = std::move(value_origin);
}

// One "PATH": [values] entry of a row's grid, its path checked against the row.
Dimension read_dimension(const std::string& path, const json& values, const json& labels,
                         const json& base, const std::string& gpath) {
  Dimension d;
  d.entry = fmt::format("{}[\"{}\"]", gpath, path);
  d.steps = parse_path(path, d.entry);
  const std::string& first = d.steps.front().key;
  if (first == "name" || first == "paper" || first == "grid" || first == "grid_labels")
    throw ConfigError(fmt::format(
        "{}: a grid cannot set the row's {} (grid rows are named after their values and show no "
        "paper numbers)",
        d.entry, first));
  d.canonical = join_steps(d.steps, d.steps.size());
  json probe = base;
  locate(probe, d);
  const auto cut = d.canonical.rfind('.');
  d.label = cut == std::string::npos ? d.canonical : d.canonical.substr(cut + 1);
  if (labels.contains(path)) {
    const auto lpath = fmt::format("{}_labels[\"{}\"]", gpath, path);
    d.label = require_string(labels.at(path), lpath);
    if (d.label.empty()) throw ConfigError(lpath + ": expected a non-empty label");
  }
  if (!values.is_array())
    throw ConfigError(fmt::format(
        "{}: expected a list of values, found {} ({}); a single value belongs in the row itself",
        d.entry, json_kind(values), values.dump()));
  if (values.empty())
    throw ConfigError(d.entry + ": expected at least one value, found an empty list");
  for (size_t j = 0; j < values.size(); ++j) {
    const auto label = grid_value_label(values[j]);
    for (size_t k = 0; k < j; ++k)
      if (d.value_labels[k] == label)
        throw ConfigError(fmt::format("{}[{}]: the value {} is listed before, as [{}] ({})",
                                      d.entry, j, values[j].dump(), k, label));
    d.values.push_back(values[j]);
    d.value_labels.push_back(label);
  }
  return d;
}

bool is_prefix(const std::vector<Step>& a, const std::vector<Step>& b) {
  if (a.size() > b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].key != b[i].key || a[i].index != b[i].index) return false;
  return true;
}

// The row's grid paths in the order JSON objects keep their keys (sorted), checked as a whole.
std::vector<Dimension> read_dimensions(const json& row, const json& base,
                                       const std::string& rpath) {
  const auto gpath = json_path(rpath, "grid");
  if (!row.contains("grid"))
    throw ConfigError(rpath + ".grid_labels: labels for a grid, but the row has no \"grid\"");
  const auto& grid = require_object(row.at("grid"), gpath);
  if (grid.empty())
    throw ConfigError(gpath +
                      ": expected at least one path, e.g. {\"regularizers[0].weight\": [0.1, 1]}");
  const json labels = row.contains("grid_labels")
                          ? require_object(row.at("grid_labels"), gpath + "_labels")
                          : json::object();
  for (const auto& [path, label] : labels.items())
    if (!grid.contains(path))
      throw ConfigError(
          fmt::format("{}_labels[\"{}\"]: not a path of the row's grid; its paths: {}", gpath, path,
                      keys_of(grid)));
  std::vector<Dimension> dims;
  for (const auto& [path, values] : grid.items()) {
    dims.push_back(read_dimension(path, values, labels, base, gpath));
    for (size_t k = 0; k + 1 < dims.size(); ++k) {
      const auto& a = dims[k];
      const auto& b = dims.back();
      if (is_prefix(a.steps, b.steps) || is_prefix(b.steps, a.steps))
        throw ConfigError(fmt::format(
            "{}: overlaps the grid path \"{}\"; one path cannot set a value inside another's",
            b.entry, a.canonical));
      if (a.label == b.label)
        throw ConfigError(fmt::format(
            "{}: the paths \"{}\" and \"{}\" are both labelled '{}' in the row names; give one "
            "another label in \"grid_labels\"",
            gpath, a.canonical, b.canonical, a.label));
    }
  }
  return dims;
}

// Each value in place on the base row, checked as the file's rows are; an error about the value
// names its grid entry (the same path below it), any other error the entry and the row's error.
void check_values(const json& base, const Dimension& d, const std::string& rpath,
                  const RowCheck& check) {
  const std::string written_at = rpath + "." + d.canonical;
  for (size_t j = 0; j < d.values.size(); ++j) {
    json row = base;
    locate(row, d) = d.values[j];
    try {
      check(row, rpath);
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      const std::string entry = fmt::format("{}[{}]", d.entry, j);
      if (msg.compare(0, written_at.size(), written_at) == 0 && msg.size() > written_at.size() &&
          std::string(":.[").find(msg[written_at.size()]) != std::string::npos)
        throw ConfigError(entry + msg.substr(written_at.size()));
      throw ConfigError(fmt::format("{}: with this value the row is invalid: {}", entry, msg));
    }
  }
}

// One grid row per combination of values, the first path's values varying slowest.
std::vector<ExpandedRow> expand_row(const json& row, const json& origin, size_t index,
                                    const std::string& rpath, const RowCheck& check) {
  if (row.contains("teacher"))
    throw ConfigError(fmt::format(
        "{}.{}: a teacher row cannot have a grid; it shows the teacher its column defines", rpath,
        row.contains("grid") ? "grid" : "grid_labels"));
  json base = row;
  base.erase("grid");
  base.erase("grid_labels");
  check(base, rpath);
  const auto dims = read_dimensions(row, base, rpath);
  size_t count = 1;
  for (const auto& d : dims) {
    check_values(base, d, rpath, check);
    count *= d.values.size();
    if (count > kMaxGridRows)
      throw ConfigError(fmt::format("{}.grid: expands into more than {} rows; split the grid",
                                    rpath, kMaxGridRows));
  }
  base.erase("paper");  // grid rows are variants: the paper's numbers are the base row's
  json base_origin = origin;
  for (const char* key : {"grid", "grid_labels", "paper"}) base_origin.erase(key);
  const std::string base_name = row.at("name").get<std::string>();
  std::vector<ExpandedRow> out;
  std::vector<size_t> at(dims.size(), 0);
  for (size_t n = 0; n < count; ++n) {
    ExpandedRow e{base, base_origin, index, base_name};
    std::string name = base_name;
    for (size_t k = 0; k < dims.size(); ++k) {
      const auto& d = dims[k];
      locate(e.row, d) = d.values[at[k]];
      set_origin(e.origin, e.row, d.steps,
                 origin_tree(d.values[at[k]], fmt::format("{}[{}]", d.entry, at[k])));
      name += fmt::format(" {}={}", d.label, d.value_labels[at[k]]);
    }
    e.row["name"] = name;
    out.push_back(std::move(e));
    for (size_t k = dims.size(); k-- > 0;) {  // the last path varies fastest
      if (++at[k] < dims[k].values.size()) break;
      at[k] = 0;
    }
  }
  return out;
}

}  // namespace

std::string grid_value_label(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  // fmt's shortest round-trip form: 0.1 stays 0.1, 1.0 is 1
  if (value.is_number_float()) return fmt::format("{}", value.get<double>());
  return value.dump();
}

std::vector<ExpandedRow> expand_grids(const std::vector<json>& rows,
                                      const std::vector<json>& origins,
                                      const std::string& rows_path, const RowCheck& check) {
  std::vector<ExpandedRow> out;
  // Every name a row, a grid's base row or a grid row has: profiles, --only and the store find
  // rows by name.
  std::map<std::string, std::string> owner;
  for (size_t i = 0; i < rows.size(); ++i)
    owner[rows[i].at("name").get<std::string>()] = json_path(rows_path, i);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto rpath = json_path(rows_path, i);
    if (!rows[i].contains("grid") && !rows[i].contains("grid_labels")) {
      check(rows[i], rpath);
      out.push_back({rows[i], origins[i], i, ""});
      continue;
    }
    for (auto& e : expand_row(rows[i], origins[i], i, rpath, check)) {
      const std::string name = e.row.at("name");
      const auto [it, fresh] = owner.emplace(name, rpath + ".grid");
      if (!fresh)
        throw ConfigError(fmt::format(
            "{}.grid: the grid row '{}' has the name of {}; rename one, or label the grid's paths "
            "(\"grid_labels\")",
            rpath, name, it->second));
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace dfkd::host
