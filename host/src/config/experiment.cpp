#include "config/experiment.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "config/block_checks.hpp"
#include "config/grid.hpp"
#include "config/json_check.hpp"
#include "config/json_parse.hpp"
#include "config/origins.hpp"
#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

const KeySet kFileKeys{{"experiment", "columns", "rows", "profiles"},
                       {"title", "description", "metric", "seeds", "train", "figures", "contrasts",
                        "default_profile"}};
const KeySet kProfileKeys{
    {}, {"description", "seeds", "jobs", "datasets", "metric", "train", "columns", "rows"}};
const KeySet kMetricKeys{{}, {"key", "selection"}};
const KeySet kContrastKeys{{"name", "terms"}, {"description", "paper"}};
const KeySet kFigureKeys{
    {"name", "kind"},
    {"column", "rows", "seed", "title", "description", "points", "references", "metric"}};

std::vector<std::string> names_of(const std::vector<json>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.at("name").get<std::string>());
  return out;
}

// A profile's "rows"/"columns" block patches the named entries (RFC 7386 merge patch).
void patch_named(std::vector<json>& items, std::vector<json>& origins, const json& patches,
                 const std::string& path, const char* what) {
  require_object(patches, path);
  const auto names = names_of(items);
  for (const auto& [name, patch] : patches.items()) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
      throw ConfigError(fmt::format("{}.{}: no {} named '{}'; {}s: {}", path, name, what, name,
                                    what, fmt::join(names, ", ")));
    require_object(patch, json_path(path, name));
    // The name is what patches, by_column, --only and the store find the entry by.
    if (patch.contains("name"))
      throw ConfigError(
          fmt::format("{}.{}.name: a profile patch cannot change the {}'s name", path, name, what));
    items[static_cast<size_t>(it - names.begin())].merge_patch(patch);
    origins[static_cast<size_t>(it - names.begin())].merge_patch(
        origin_tree(patch, json_path(path, name)));
  }
}

// Every value the file and the profile `ppath` set, at its own path, before anything is merged.
void check_own_paths(const json& source, const std::string& root, const json& prof,
                     const std::string& ppath, const Experiment& exp) {
  const auto columns = exp.column_names();
  if (present(source, "train")) check_train_patch(source.at("train"), json_path(root, "train"));
  if (present(prof, "train")) check_train_patch(prof.at("train"), json_path(ppath, "train"));
  for (size_t i = 0; i < exp.columns.size(); ++i)
    check_column_patch(exp.columns[i], json_path(json_path(root, "columns"), i));
  // (The file's rows were checked as their grids expanded; a patch of an unknown name is reported
  // by patch_named and patch_rows.)
  if (present(prof, "columns"))
    for (const auto& [name, patch] :
         require_object(prof.at("columns"), json_path(ppath, "columns")).items())
      if (patch.is_object() && std::find(columns.begin(), columns.end(), name) != columns.end())
        check_column_patch(patch, json_path(json_path(ppath, "columns"), name));
  if (present(prof, "rows"))
    for (const auto& [name, patch] :
         require_object(prof.at("rows"), json_path(ppath, "rows")).items()) {
      const auto rows = exp.rows_named(name);
      if (rows.empty() || !patch.is_object()) continue;
      for (const char* key : {"grid", "grid_labels"})
        if (patch.contains(key))
          throw ConfigError(fmt::format(
              "{}.{}: a profile cannot change a row's {}: grids expand before profiles apply "
              "(docs/experiments.md, Grids); write the grid in the row",
              json_path(json_path(ppath, "rows"), name), key, key));
      check_row_patch(patch, json_path(json_path(ppath, "rows"), name),
                      exp.rows[rows.front()].contains("teacher"), columns);
    }
}

}  // namespace

json row_for_column(const json& row, const std::string& column) {
  json r = row;
  if (!r.contains("by_column")) return r;
  if (r.at("by_column").contains(column)) r.merge_patch(r.at("by_column").at(column));
  r.erase("by_column");
  return r;
}

bool is_metric_selection(const std::string& selection) {
  return selection == "final" || selection == "best" || selection == "best_val";
}

std::vector<std::string> Experiment::row_names() const {
  return names_of(rows);
}
std::vector<std::string> Experiment::column_names() const {
  return names_of(columns);
}

std::vector<size_t> Experiment::rows_named(const std::string& name) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].at("name") == name) return {i};
  for (size_t i = 0; i < row_sources.size(); ++i)
    if (row_sources[i].grid_base == name) out.push_back(i);
  return out;
}

std::vector<std::string> Experiment::grid_bases() const {
  std::vector<std::string> out;
  for (const auto& s : row_sources)
    if (!s.grid_base.empty() && (out.empty() || out.back() != s.grid_base))
      out.push_back(s.grid_base);
  return out;
}

std::string Experiment::row_path(size_t i) const {
  return fmt::format("{}.rows[{}]", origin.empty() ? name : origin,
                     i < row_sources.size() ? row_sources[i].index : i);
}

std::optional<double> Experiment::paper_value(const std::string& row,
                                              const std::string& column) const {
  for (const auto& r : rows) {
    if (r.at("name") != row || !r.contains("paper")) continue;
    const auto& p = r.at("paper");
    if (p.contains(column) && p.at(column).is_number()) return p.at(column).get<double>();
  }
  return std::nullopt;
}

namespace {

// The profile `requested` names ("" = the file's default); records every profile's name.
const json& select_profile(const json& source, const std::string& root,
                           const std::string& requested, Experiment& exp) {
  const auto& profiles = require_object(source.at("profiles"), json_path(root, "profiles"));
  if (profiles.empty())
    throw ConfigError(fmt::format("{}.profiles: expected at least one profile", root));
  for (const auto& [name, p] : profiles.items()) exp.profiles.push_back(name);
  std::string profile = requested;
  if (profile.empty())
    profile = source.contains("default_profile")
                  ? require_string(source.at("default_profile"), json_path(root, "default_profile"))
                  : exp.profiles.front();
  if (!profiles.contains(profile))
    throw ConfigError(fmt::format("{}: no profile '{}'; profiles in this experiment: {}", root,
                                  profile, fmt::join(exp.profiles, ", ")));
  exp.profile = profile;
  return profiles.at(profile);
}

// The profile's description, the seeds (the file's, or the profile's), its default parallelism and
// its default columns.
void read_profile_settings(const json& source, const std::string& root, const json& prof,
                           const std::string& ppath, Experiment& exp) {
  check_keys(prof, ppath, kProfileKeys);
  if (prof.contains("description"))
    exp.profile_description =
        require_string(prof.at("description"), json_path(ppath, "description"));
  exp.seeds =
      source.contains("seeds") ? require_int(source.at("seeds"), json_path(root, "seeds"), 1) : 1;
  if (prof.contains("seeds"))
    exp.seeds = require_int(prof.at("seeds"), json_path(ppath, "seeds"), 1);
  if (prof.contains("jobs")) exp.jobs = require_int(prof.at("jobs"), json_path(ppath, "jobs"), 1);
  if (prof.contains("datasets")) {
    const auto& d = require_array(prof.at("datasets"), json_path(ppath, "datasets"));
    for (size_t i = 0; i < d.size(); ++i)
      exp.profile_columns.push_back(
          require_string(d[i], json_path(json_path(ppath, "datasets"), i)));
  }
}

void read_metric(const json& source, const std::string& root, Experiment& exp) {
  if (!source.contains("metric")) return;
  const auto& m = source.at("metric");
  const auto mpath = json_path(root, "metric");
  check_keys(m, mpath, kMetricKeys);
  if (m.contains("key")) exp.metric.key = require_string(m.at("key"), json_path(mpath, "key"));
  if (m.contains("selection")) {
    exp.metric.selection = require_string(m.at("selection"), json_path(mpath, "selection"));
    if (!is_metric_selection(exp.metric.selection))
      throw ConfigError(fmt::format(
          "{}.metric.selection: expected \"final\", \"best\" or \"best_val\", found \"{}\"", root,
          exp.metric.selection));
  }
}

// The file's train block with the profile's patch, and where each value was written.
void read_train(const json& source, const std::string& root, const json& prof,
                const std::string& ppath, Experiment& exp) {
  const auto tpath = json_path(root, "train");
  exp.train = source.contains("train") ? require_object(source.at("train"), tpath) : json::object();
  exp.train_origin = origin_tree(exp.train, tpath);
  if (prof.contains("train")) {
    exp.train.merge_patch(require_object(prof.at("train"), json_path(ppath, "train")));
    exp.train_origin.merge_patch(origin_tree(prof.at("train"), json_path(ppath, "train")));
  }
}

// A list of named objects ("columns" or "rows"); names are unique (profiles patch them by name).
void read_named(const json& source, const std::string& root, const char* key, const char* what,
                std::vector<json>& out, std::vector<json>& origins) {
  std::set<std::string> seen;
  const auto& list = require_array(source.at(key), json_path(root, key));
  for (size_t i = 0; i < list.size(); ++i) {
    const auto path = json_path(json_path(root, key), i);
    require_object(list[i], path);
    const auto name = require_string(list[i].value("name", json(nullptr)), json_path(path, "name"));
    if (!seen.insert(name).second)
      throw ConfigError(fmt::format("{}.name: duplicate {} '{}'", path, what, name));
    out.push_back(list[i]);
    origins.push_back(origin_tree(list[i], path));
  }
}

// The columns and rows as the file writes them, and the columns the profile names.
void read_matrix(const json& source, const std::string& root, const std::string& ppath,
                 Experiment& exp) {
  read_named(source, root, "columns", "column", exp.columns, exp.column_origins);
  read_named(source, root, "rows", "row", exp.rows, exp.row_origins);
  // An empty matrix has nothing to run, and storing it would hide the results of the rows it had.
  for (const char* key : {"columns", "rows"})
    if (source.at(key).empty())
      throw ConfigError(
          fmt::format("{}.{}: expected at least one entry, found an empty list (an experiment "
                      "without {} has nothing to run)",
                      root, key, key));
  const auto names = exp.column_names();
  for (size_t i = 0; i < exp.profile_columns.size(); ++i)
    if (std::find(names.begin(), names.end(), exp.profile_columns[i]) == names.end())
      throw ConfigError(fmt::format("{}.datasets[{}]: no column named '{}'; columns: {}", ppath, i,
                                    exp.profile_columns[i], fmt::join(names, ", ")));
}

// The file's rows, each checked where it is written, with their grids expanded in place.
void expand_rows(Experiment& exp, const std::string& root) {
  const auto columns = exp.column_names();
  auto expanded = expand_grids(exp.rows, exp.row_origins, json_path(root, "rows"),
                               [&](const json& r, const std::string& path) {
                                 check_row_patch(r, path, r.contains("teacher"), columns, true);
                               });
  exp.rows.clear();
  exp.row_origins.clear();
  for (auto& e : expanded) {
    exp.rows.push_back(std::move(e.row));
    exp.row_origins.push_back(std::move(e.origin));
    exp.row_sources.push_back({e.index, e.grid_base});
  }
}

// A profile's "rows" block: a patch naming a grid's base row applies to each of its grid rows,
// before any patch naming one grid row (which therefore wins).
void patch_rows(Experiment& exp, const json& patches, const std::string& path) {
  require_object(patches, path);
  const auto bases = exp.grid_bases();
  for (const bool base_pass : {true, false})
    for (const auto& [name, patch] : patches.items()) {
      const bool is_base = std::find(bases.begin(), bases.end(), name) != bases.end();
      if (is_base != base_pass) continue;
      const auto rows = exp.rows_named(name);
      if (rows.empty())
        throw ConfigError(
            fmt::format("{}.{}: no row named '{}'{}; rows: {}{}", path, name, name,
                        did_you_mean(name, exp.row_names()), fmt::join(exp.row_names(), ", "),
                        bases.empty() ? "" : fmt::format("; grids: {}", fmt::join(bases, ", "))));
      require_object(patch, json_path(path, name));
      // The name is what patches, by_column, --only and the store find the entry by.
      if (patch.contains("name"))
        throw ConfigError(
            fmt::format("{}.{}.name: a profile patch cannot change the row's name", path, name));
      for (const size_t i : rows) {
        exp.rows[i].merge_patch(patch);
        exp.row_origins[i].merge_patch(origin_tree(patch, json_path(path, name)));
      }
    }
}

void apply_profile_patches(const json& prof, const std::string& ppath, Experiment& exp) {
  if (prof.contains("columns"))
    patch_named(exp.columns, exp.column_origins, prof.at("columns"), json_path(ppath, "columns"),
                "column");
  if (prof.contains("rows")) patch_rows(exp, prof.at("rows"), json_path(ppath, "rows"));
}

// The rows after the profile's patches, each as a whole; at most one is the teacher row.
void check_merged_rows(const Experiment& exp, const std::string& root) {
  int teacher_rows = 0;
  for (size_t i = 0; i < exp.rows.size(); ++i) {
    const auto path = exp.row_path(i);
    const auto& r = exp.rows[i];
    require_object(r, path);
    if (r.contains("teacher")) {
      check_merged_teacher_row(r, path);
      ++teacher_rows;
    } else {
      check_method_row(r, path);
      if (r.contains("by_column")) check_merged_by_column(r, path, exp.column_names());
    }
    if (r.contains("paper")) require_object(r.at("paper"), json_path(path, "paper"));
  }
  if (teacher_rows > 1)
    throw ConfigError(fmt::format("{}.rows: at most one row may be the teacher row", root));
}

void read_figures(const json& source, const std::string& root, Experiment& exp) {
  if (!source.contains("figures")) return;
  const auto& figs = require_array(source.at("figures"), json_path(root, "figures"));
  for (size_t i = 0; i < figs.size(); ++i) {
    const auto path = json_path(json_path(root, "figures"), i);
    check_keys(figs[i], path, kFigureKeys);
    if (figs[i].contains("metric")) require_string(figs[i].at("metric"), json_path(path, "metric"));
    json spec = figs[i];
    // A grid's base row stands for its grid rows: each is drawn (docs/experiments.md, Grids).
    if (spec.contains("rows") && spec.at("rows").is_array()) {
      json rows = json::array();
      for (const auto& r : spec.at("rows")) {
        const auto named =
            r.is_string() ? exp.rows_named(r.get<std::string>()) : std::vector<size_t>{};
        for (const size_t k : named) rows.push_back(exp.rows[k].at("name"));
        if (named.empty()) rows.push_back(r);  // (an unknown row is reported when drawn)
      }
      spec["rows"] = rows;
    }
    exp.figures.push_back({require_string(figs[i].at("name"), json_path(path, "name")),
                           require_string(figs[i].at("kind"), json_path(path, "kind")), spec});
  }
}

void read_contrasts(const json& source, const std::string& root, Experiment& exp) {
  if (!source.contains("contrasts")) return;
  const auto base = json_path(root, "contrasts");
  const auto& items = require_array(source.at("contrasts"), base);
  const auto rows = exp.row_names(), columns = exp.column_names();
  for (size_t i = 0; i < items.size(); ++i) {
    const auto path = json_path(base, i);
    check_keys(items[i], path, kContrastKeys);
    Contrast c;
    c.name = require_string(items[i].at("name"), json_path(path, "name"));
    if (items[i].contains("description"))
      c.description = require_string(items[i].at("description"), json_path(path, "description"));
    const auto tpath = json_path(path, "terms");
    const auto& terms = require_object(items[i].at("terms"), tpath);
    if (terms.size() < 2)
      throw ConfigError(fmt::format("{}: expected at least two rows with coefficients, found {}",
                                    tpath, terms.size()));
    for (const auto& [row, coefficient] : terms.items()) {
      if (std::find(rows.begin(), rows.end(), row) == rows.end())
        throw ConfigError(fmt::format("{}: '{}' is not a row of this experiment{}; its rows: '{}'",
                                      json_path(tpath, row), row, did_you_mean(row, rows),
                                      fmt::join(rows, "', '")));
      const double k = require_number(coefficient, json_path(tpath, row));
      if (k == 0)
        throw ConfigError(
            fmt::format("{}: expected a non-zero coefficient, found 0; leave the row out instead",
                        json_path(tpath, row)));
      c.terms.emplace_back(row, k);
    }
    if (items[i].contains("paper"))
      for (const auto& [column, value] :
           require_object(items[i].at("paper"), json_path(path, "paper")).items()) {
        const auto vpath = json_path(json_path(path, "paper"), column);
        if (std::find(columns.begin(), columns.end(), column) == columns.end())
          throw ConfigError(
              fmt::format("{}: '{}' is not a column of this experiment; its columns: '{}'", vpath,
                          column, fmt::join(columns, "', '")));
        c.paper[column] = require_number(value, vpath);
      }
    exp.contrasts.push_back(std::move(c));
  }
}

// The experiment with one profile applied; every value the profile or the file sets is checked at
// its own path first, then the merged structure.
Experiment parse_profile(const json& source, const std::string& requested_profile,
                         const std::string& origin) {
  const std::string& root = origin;
  check_keys(source, root, kFileKeys);
  Experiment exp;
  exp.source = source;
  exp.origin = origin;
  exp.name = require_string(source.at("experiment"), json_path(root, "experiment"));
  exp.title = source.contains("title")
                  ? require_string(source.at("title"), json_path(root, "title"))
                  : exp.name;
  const json& prof = select_profile(source, root, requested_profile, exp);
  const auto ppath = json_path(json_path(root, "profiles"), exp.profile);
  read_profile_settings(source, root, prof, ppath, exp);
  read_metric(source, root, exp);
  // A profile may read its table differently: one that holds out validation images, at best_val.
  if (prof.contains("metric")) read_metric(prof, ppath, exp);
  read_train(source, root, prof, ppath, exp);
  read_matrix(source, root, ppath, exp);
  expand_rows(exp, root);
  // Before merging: a bad value is reported where it was written (file or profile patch).
  check_own_paths(source, root, prof, ppath, exp);
  apply_profile_patches(prof, ppath, exp);
  for (size_t i = 0; i < exp.columns.size(); ++i)
    check_merged_column(exp.columns[i], json_path(json_path(root, "columns"), i));
  check_merged_rows(exp, root);
  read_figures(source, root, exp);
  read_contrasts(source, root, exp);
  // Fail early on a bad train block rather than at the first run that uses it.
  resolve_train(exp.train, json_path(root, "train"), exp.train_origin);
  return exp;
}

}  // namespace

Experiment parse_experiment(const json& source, const std::string& requested_profile,
                            const std::string& origin) {
  Experiment exp = parse_profile(source, requested_profile, origin);
  // Every other profile too: a typo in a profile not run today is still a typo.
  for (const auto& p : exp.profiles)
    if (p != exp.profile) parse_profile(source, p, origin);
  return exp;
}

Experiment load_experiment(const std::filesystem::path& file, const std::string& profile) {
  if (std::filesystem::is_directory(file))
    throw ConfigError(fmt::format("{}: is a directory, not an experiment file", file.string()));
  std::ifstream in(file);
  if (!in)
    throw ConfigError(
        fmt::format("{}: cannot open the experiment file (does it exist? experiments "
                    "shipped with dfkd are in experiments/)",
                    file.string()));
  std::stringstream text;
  text << in.rdbuf();
  json source;
  try {
    source = parse_json_limited(text.str(), file.string());
  } catch (const json::parse_error& e) {
    throw ConfigError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  } catch (const json::exception& e) {  // e.g. out_of_range.406: a number overflowing a double
    throw ConfigError(fmt::format("{}: not valid JSON: {} at {}", file.string(), e.what(),
                                  json_error_place(text.str())));
  }
  auto exp = parse_experiment(source, profile, file.filename().string());
  exp.source_file = std::filesystem::weakly_canonical(std::filesystem::absolute(file)).string();
  return exp;
}

std::vector<Experiment> every_profile(const Experiment& exp) {
  std::vector<Experiment> out;
  for (const auto& p : exp.profiles)
    out.push_back(p == exp.profile ? exp : parse_profile(exp.source, p, exp.origin));
  return out;
}

}  // namespace dfkd::host
