#include "config/experiment.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "config/json_check.hpp"
#include "config/json_parse.hpp"
#include "dfkd/errors.hpp"
#include "loader/plugin_host.hpp"
#include "util/hash.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

const KeySet kFileKeys{{"experiment", "columns", "rows", "profiles"},
                       {"title", "description", "metric", "seeds", "train", "figures",
                        "default_profile"}};
const KeySet kProfileKeys{{}, {"description", "seeds", "datasets", "train", "columns", "rows"}};
const KeySet kColumnKeys{{"name", "dataset", "student"}, {"teacher", "train", "description", "paper"}};
const KeySet kTeacherKeys{{"model", "method"}, {"dataset", "train", "seed"}};
const KeySet kTeacherRowKeys{{"name", "teacher"}, {"paper", "description"}};
const KeySet kRowKeys{{"name", "method"},
                      {"generator", "regularizers", "train", "student", "paper", "description",
                       "by_column"}};
const KeySet kPluginKeys{{"plugin"}, {"options"}};
const KeySet kRegularizerKeys{{"plugin"}, {"weight", "options"}};
const KeySet kMetricKeys{{}, {"key", "selection"}};
const KeySet kTrainKeys{{},
                        {"epochs", "iterations_per_epoch", "batch_size", "eval_batch_size",
                         "lr_schedule", "save_generated"}};
const KeySet kScheduleKeys{{"type"}, {"step_size", "milestones", "gamma"}};
const KeySet kSchedulePatchKeys{{}, {"type", "step_size", "milestones", "gamma"}};
const KeySet kFigureKeys{{"name", "kind"},
                          {"column", "rows", "seed", "title", "description", "points", "references"}};

std::string at(const std::string& path, const std::string& key) { return path + "." + key; }
std::string at(const std::string& path, size_t i) { return fmt::format("{}[{}]", path, i); }

// Where each value of a block was written: the same tree with every value that is not an object
// (nor null, a merge patch's "delete") replaced by its JSON path. Merge-patching these trees
// exactly as the blocks are patched tells, for any value of the merged block, the place in the
// file that set it: the base entry, a profile's patch or a by_column patch.
json origin_tree(const json& v, const std::string& path) {
  if (v.is_object()) {
    json o = json::object();
    for (const auto& [key, x] : v.items()) o[key] = origin_tree(x, at(path, key));
    return o;
  }
  if (v.is_null()) return nullptr;
  return path;
}

// The path that set `keys` (object keys; "[i]" for a list element) of a merged block, or
// `fallback` when the tree does not say (a default, or no tree).
std::string origin_at(const json& tree, const std::vector<std::string>& keys,
                      const std::string& fallback) {
  const json* n = &tree;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (n->is_string()) {  // a list (or scalar) set as a whole: its elements live under its path
      std::string p = n->get<std::string>();
      for (; i < keys.size(); ++i) p = keys[i].front() == '[' ? p + keys[i] : at(p, keys[i]);
      return p;
    }
    if (!n->is_object() || !n->contains(keys[i])) return fallback;
    n = &n->at(keys[i]);
  }
  return n->is_string() ? n->get<std::string>() : fallback;
}

const json& sub(const json& tree, const std::string& key) {
  static const json none;
  return tree.is_object() && tree.contains(key) ? tree.at(key) : none;
}

// One value of a train block, at its own path.
void check_train_value(const std::string& key, const json& v, const std::string& path) {
  if (key == "epochs") require_int(v, path, 1, kMaxEpochs);
  if (key == "iterations_per_epoch") require_int(v, path, 0, kMaxIterationsPerEpoch);
  if (key == "batch_size" || key == "eval_batch_size") require_int(v, path, 1, kMaxBatchSize);
  if (key == "save_generated") require_int(v, path, 0, kMaxSaveGenerated);
}

// One value of an lr_schedule block, at its own path; returns it as resolved.
json check_schedule_value(const std::string& key, const json& v, const std::string& path) {
  if (key == "type") {
    const auto type = require_string(v, path);
    if (type != "constant" && type != "step" && type != "multistep" && type != "cosine")
      throw ConfigError(fmt::format("{}: expected one of constant, step, multistep, cosine; found \"{}\"",
                                    path, type));
    return type;
  }
  if (key == "step_size") return require_int(v, path, 1, kMaxEpochs);
  if (key == "milestones") {
    const json m = require_array(v, path);
    for (size_t i = 0; i < m.size(); ++i) require_int(m[i], at(path, i), 1, kMaxEpochs);
    return m;
  }
  // gamma: the factor the learning rate is multiplied by at each step.
  const double gamma = require_number(v, path);
  if (!(gamma > 0)) throw ConfigError(fmt::format("{}: expected a number > 0, found {}", path, v.dump()));
  return gamma;
}

// A train block as written (a file's, a column's, a row's or a profile's patch of one): every
// value it sets is checked at its own path. The merged block is checked again by resolve_train.
void check_train_patch(const json& t, const std::string& path) {
  check_keys(t, path, kTrainKeys);
  for (const auto& [key, v] : t.items()) {
    if (v.is_null()) continue;  // deletes the key: the default applies
    if (key != "lr_schedule") {
      check_train_value(key, v, at(path, key));
      continue;
    }
    const auto spath = at(path, key);
    check_keys(v, spath, kSchedulePatchKeys);
    for (const auto& [skey, sv] : v.items())
      if (!sv.is_null()) check_schedule_value(skey, sv, at(spath, skey));
  }
}

const json& find_named(const std::vector<json>& items, const std::string& name) {
  for (const auto& item : items)
    if (item.at("name") == name) return item;
  throw std::logic_error("find_named: " + name);
}

std::vector<std::string> names_of(const std::vector<json>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.at("name").get<std::string>());
  return out;
}

// A row as one column sees it: its "by_column" patch for that column applied (RFC 7386), so one
// row can carry per-dataset hyperparameters (e.g. DFAD's MNIST vs CIFAR settings).
json row_for_column(const json& row, const std::string& column) {
  json r = row;
  if (!r.contains("by_column")) return r;
  if (r.at("by_column").contains(column)) r.merge_patch(r.at("by_column").at(column));
  r.erase("by_column");
  return r;
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
    require_object(patch, at(path, name));
    // The name is what patches, by_column, --only and the store find the entry by.
    if (patch.contains("name"))
      throw ConfigError(fmt::format("{}.{}.name: a profile patch cannot change the {}'s name",
                                    path, name, what));
    items[static_cast<size_t>(it - names.begin())].merge_patch(patch);
    origins[static_cast<size_t>(it - names.begin())].merge_patch(origin_tree(patch, at(path, name)));
  }
}

void check_plugin_spec(const json& spec, const std::string& path) {
  check_keys(spec, path, kPluginKeys);
  require_string(spec.at("plugin"), at(path, "plugin"));
  if (spec.contains("options")) require_object(spec.at("options"), at(path, "options"));
}

void check_regularizers(const json& list, const std::string& path) {
  const auto& regs = require_array(list, path);
  for (size_t k = 0; k < regs.size(); ++k) {
    const auto rp = at(path, k);
    check_keys(regs[k], rp, kRegularizerKeys);
    require_string(regs[k].at("plugin"), at(rp, "plugin"));
    if (regs[k].contains("weight")) require_number(regs[k].at("weight"), at(rp, "weight"));
    if (regs[k].contains("options")) require_object(regs[k].at("options"), at(rp, "options"));
  }
}

void check_method_row(const json& r, const std::string& path) {
  check_keys(r, path, kRowKeys);
  check_plugin_spec(r.at("method"), at(path, "method"));
  if (r.contains("generator")) check_plugin_spec(r.at("generator"), at(path, "generator"));
  if (r.contains("student")) check_plugin_spec(r.at("student"), at(path, "student"));
  if (r.contains("regularizers")) check_regularizers(r.at("regularizers"), at(path, "regularizers"));
}

// A plugin block as a profile or by_column patch writes it: any subset of its keys.
void check_plugin_patch(const json& spec, const std::string& path) {
  check_keys(spec, path, KeySet{{}, {"plugin", "options"}});
  if (spec.contains("plugin") && !spec.at("plugin").is_null())
    require_string(spec.at("plugin"), at(path, "plugin"));
  if (spec.contains("options") && !spec.at("options").is_null())
    require_object(spec.at("options"), at(path, "options"));
}

KeySet all_optional(const KeySet& k) {
  KeySet out{{}, k.required};
  out.optional.insert(out.optional.end(), k.optional.begin(), k.optional.end());
  return out;
}

bool present(const json& v, const char* key) { return v.contains(key) && !v.at(key).is_null(); }

// A row as written in the file or as a profile or by_column patch writes it: every value it sets,
// at its own path (the patched row is validated again as a whole).
void check_row_patch(const json& r, const std::string& path, bool teacher_row,
                     const std::vector<std::string>& columns) {
  check_keys(r, path, all_optional(teacher_row ? kTeacherRowKeys : kRowKeys));
  if (teacher_row) return;
  for (const char* key : {"method", "generator", "student"})
    if (present(r, key)) check_plugin_patch(r.at(key), at(path, key));
  if (present(r, "regularizers")) check_regularizers(r.at("regularizers"), at(path, "regularizers"));
  if (present(r, "train")) check_train_patch(r.at("train"), at(path, "train"));
  if (present(r, "by_column")) {
    const auto bpath = at(path, "by_column");
    for (const auto& [column, patch] : require_object(r.at("by_column"), bpath).items()) {
      const auto cpath = at(bpath, column);
      if (std::find(columns.begin(), columns.end(), column) == columns.end())
        throw ConfigError(fmt::format("{}: no column named '{}'; columns: {}", cpath, column,
                                      fmt::join(columns, ", ")));
      if (patch.is_null()) continue;
      require_object(patch, cpath);
      for (const char* key : {"name", "by_column", "paper"})
        if (patch.contains(key))
          throw ConfigError(fmt::format("{}.{}: a per-column patch cannot change the row's {}",
                                        cpath, key, key));
      check_row_patch(patch, cpath, false, columns);
    }
  }
}

// A column as written in the file or as a profile patches it.
void check_column_patch(const json& c, const std::string& path) {
  check_keys(c, path, all_optional(kColumnKeys));
  for (const char* key : {"dataset", "student"})
    if (present(c, key)) check_plugin_patch(c.at(key), at(path, key));
  if (present(c, "train")) check_train_patch(c.at("train"), at(path, "train"));
  if (present(c, "teacher")) {
    const auto tpath = at(path, "teacher");
    const auto& t = c.at("teacher");
    check_keys(t, tpath, all_optional(kTeacherKeys));
    for (const char* key : {"model", "method", "dataset"})
      if (present(t, key)) check_plugin_patch(t.at(key), at(tpath, key));
    if (present(t, "train")) check_train_patch(t.at("train"), at(tpath, "train"));
    if (present(t, "seed")) require_int(t.at("seed"), at(tpath, "seed"), 0);
  }
}

// Every value the file and the profile `ppath` set, at its own path, before anything is merged.
void check_own_paths(const json& source, const std::string& root, const json& prof,
                     const std::string& ppath, const Experiment& exp) {
  const auto columns = exp.column_names();
  if (present(source, "train")) check_train_patch(source.at("train"), at(root, "train"));
  if (present(prof, "train")) check_train_patch(prof.at("train"), at(ppath, "train"));
  for (size_t i = 0; i < exp.columns.size(); ++i)
    check_column_patch(exp.columns[i], at(at(root, "columns"), i));
  for (size_t i = 0; i < exp.rows.size(); ++i)
    check_row_patch(exp.rows[i], at(at(root, "rows"), i), exp.rows[i].contains("teacher"), columns);
  // (A patch of an unknown name is reported by patch_named.)
  if (present(prof, "columns"))
    for (const auto& [name, patch] : require_object(prof.at("columns"), at(ppath, "columns")).items())
      if (patch.is_object() && std::find(columns.begin(), columns.end(), name) != columns.end())
        check_column_patch(patch, at(at(ppath, "columns"), name));
  if (present(prof, "rows"))
    for (const auto& [name, patch] : require_object(prof.at("rows"), at(ppath, "rows")).items()) {
      for (const auto& r : exp.rows)
        if (r.at("name") == name && patch.is_object())
          check_row_patch(patch, at(at(ppath, "rows"), name), r.contains("teacher"), columns);
    }
}

// `origin`: where the block's values were written (see origin_tree); errors name those places.
json resolve_plugin(const json& spec, PluginKind kind, const std::string& merged_path,
                    const PluginHost& plugins, const json& origin = nullptr) {
  const auto name = spec.at("plugin").get<std::string>();
  // The block's own path: where its plugin name was written (a profile may have replaced it).
  std::string path = origin_at(origin, {"plugin"}, at(merged_path, "plugin"));
  path = path.substr(0, path.size() - std::string(".plugin").size());
  const LoadedPlugin* p = plugins.find(kind, name);
  if (!p) {
    std::vector<std::string> known;
    for (const auto* q : plugins.plugins())
      if (q->entry.kind == kind) known.push_back(q->entry.name);
    throw ConfigError(fmt::format(
        "{}.plugin: no {} plugin named '{}'; loaded {} plugins: {} (see `dfkd plugins`; "
        "out-of-tree plugins are found through DFKD_PLUGIN_PATH)",
        path, to_string(kind), name, to_string(kind),
        known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
  }
  json options = spec.contains("options") ? spec.at("options") : json(nullptr);
  std::map<std::string, std::string> value_paths;
  if (options.is_object())
    for (const auto& [key, v] : options.items())
      value_paths[key] = origin_at(origin, {"options", key}, at(at(merged_path, "options"), key));
  return json{{"plugin", name},
              {"version", p->entry.version},
              {"options", resolve_options(p->entry.info.options, options,
                                          at(merged_path, "options"), value_paths)}};
}

const MethodTraits& traits_of(const json& method, const PluginHost& plugins) {
  return plugins.get(PluginKind::Method, method.at("plugin").get<std::string>())
      .entry.info.method_traits;
}

}  // namespace

json default_train_block() {
  return json{{"epochs", 10},
              {"iterations_per_epoch", 0},
              {"batch_size", 128},
              {"eval_batch_size", 1024},
              {"lr_schedule", {{"type", "constant"}}},
              {"save_generated", 512}};
}

json resolve_train(const json& merged, const std::string& path, const json& origin) {
  check_keys(merged, path, kTrainKeys);
  json out = default_train_block();
  out.merge_patch(merged);
  // Each value is reported where it was written (a profile's patch, a row...), if known.
  auto where = [&](std::vector<std::string> keys) {
    std::string fallback = path;
    for (const auto& k : keys) fallback = at(fallback, k);
    return origin_at(origin, keys, fallback);
  };
  for (const char* key : {"epochs", "iterations_per_epoch", "batch_size", "eval_batch_size", "save_generated"})
    check_train_value(key, out.at(key), where({key}));
  auto& s = out.at("lr_schedule");
  const auto spath = at(path, "lr_schedule");
  check_keys(s, spath, kScheduleKeys);
  const auto type = check_schedule_value("type", s.at("type"), where({"lr_schedule", "type"})).get<std::string>();
  auto value = [&](const char* key, const json& fallback) {
    return s.contains(key) ? check_schedule_value(key, s.at(key), where({"lr_schedule", key}))
                           : check_schedule_value(key, fallback, at(spath, key));
  };
  json resolved{{"type", type}};
  if (type == "constant") {
    if (s.size() != 1)
      throw ConfigError(fmt::format("{}: a constant schedule takes no other keys", spath));
  } else if (type == "step") {
    resolved["step_size"] = value("step_size", nullptr);
    resolved["gamma"] = value("gamma", 0.1);
  } else if (type == "multistep") {
    resolved["milestones"] = value("milestones", nullptr);
    resolved["gamma"] = value("gamma", 0.1);
  } else if (type == "cosine") {
    if (s.size() != 1)
      throw ConfigError(fmt::format("{}: a cosine schedule (to 0 over all epochs) takes no other keys", spath));
  }
  out["lr_schedule"] = resolved;
  return out;
}

std::vector<std::string> Experiment::row_names() const { return names_of(rows); }
std::vector<std::string> Experiment::column_names() const { return names_of(columns); }

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

// The experiment with one profile applied; every value the profile or the file sets is checked at
// its own path first, then the merged structure.
Experiment parse_profile(const json& source, const std::string& requested_profile,
                         const std::string& origin) {
  const std::string root = origin;
  check_keys(source, root, kFileKeys);
  Experiment exp;
  exp.source = source;
  exp.origin = origin;
  exp.name = require_string(source.at("experiment"), at(root, "experiment"));
  exp.title = source.contains("title") ? require_string(source.at("title"), at(root, "title")) : exp.name;

  const auto& profiles = require_object(source.at("profiles"), at(root, "profiles"));
  if (profiles.empty())
    throw ConfigError(fmt::format("{}.profiles: expected at least one profile", root));
  for (const auto& [name, p] : profiles.items()) exp.profiles.push_back(name);
  std::string profile = requested_profile;
  if (profile.empty())
    profile = source.contains("default_profile")
                  ? require_string(source.at("default_profile"), at(root, "default_profile"))
                  : exp.profiles.front();
  if (!profiles.contains(profile))
    throw ConfigError(fmt::format("{}: no profile '{}'; profiles in this experiment: {}", root,
                                  profile, fmt::join(exp.profiles, ", ")));
  exp.profile = profile;
  const auto ppath = at(at(root, "profiles"), profile);
  const json& prof = profiles.at(profile);
  check_keys(prof, ppath, kProfileKeys);
  if (prof.contains("description"))
    exp.profile_description = require_string(prof.at("description"), at(ppath, "description"));

  exp.seeds = source.contains("seeds") ? require_int(source.at("seeds"), at(root, "seeds"), 1) : 1;
  if (prof.contains("seeds")) exp.seeds = require_int(prof.at("seeds"), at(ppath, "seeds"), 1);
  if (prof.contains("datasets")) {
    const auto& d = require_array(prof.at("datasets"), at(ppath, "datasets"));
    for (size_t i = 0; i < d.size(); ++i)
      exp.profile_columns.push_back(require_string(d[i], at(at(ppath, "datasets"), i)));
  }

  if (source.contains("metric")) {
    const auto& m = source.at("metric");
    check_keys(m, at(root, "metric"), kMetricKeys);
    if (m.contains("key")) exp.metric.key = require_string(m.at("key"), at(at(root, "metric"), "key"));
    if (m.contains("selection")) {
      exp.metric.selection = require_string(m.at("selection"), at(at(root, "metric"), "selection"));
      if (exp.metric.selection != "final" && exp.metric.selection != "best")
        throw ConfigError(fmt::format("{}.metric.selection: expected \"final\" or \"best\", found \"{}\"",
                                      root, exp.metric.selection));
    }
  }

  exp.train = source.contains("train") ? require_object(source.at("train"), at(root, "train")) : json::object();
  exp.train_origin = origin_tree(exp.train, at(root, "train"));
  if (prof.contains("train")) {
    exp.train.merge_patch(require_object(prof.at("train"), at(ppath, "train")));
    exp.train_origin.merge_patch(origin_tree(prof.at("train"), at(ppath, "train")));
  }

  // Columns and rows: lists of named objects; names are unique (profiles patch them by name).
  std::set<std::string> seen;
  auto read_named = [&](const char* key, const char* what, std::vector<json>& out,
                        std::vector<json>& origins) {
    const auto& list = require_array(source.at(key), at(root, key));
    for (size_t i = 0; i < list.size(); ++i) {
      const auto path = at(at(root, key), i);
      require_object(list[i], path);
      const auto name = require_string(list[i].value("name", json(nullptr)), at(path, "name"));
      if (!seen.insert(std::string(what) + "/" + name).second)
        throw ConfigError(fmt::format("{}.name: duplicate {} '{}'", path, what, name));
      out.push_back(list[i]);
      origins.push_back(origin_tree(list[i], path));
    }
  };
  read_named("columns", "column", exp.columns, exp.column_origins);
  read_named("rows", "row", exp.rows, exp.row_origins);
  // An empty matrix has nothing to run, and storing it would hide the results of the rows it had.
  for (const char* key : {"columns", "rows"})
    if (source.at(key).empty())
      throw ConfigError(fmt::format("{}.{}: expected at least one entry, found an empty list (an experiment "
                                    "without {} has nothing to run)", root, key, key));
  for (size_t i = 0; i < exp.profile_columns.size(); ++i) {
    const auto names = exp.column_names();
    if (std::find(names.begin(), names.end(), exp.profile_columns[i]) == names.end())
      throw ConfigError(fmt::format("{}.datasets[{}]: no column named '{}'; columns: {}", ppath, i,
                                    exp.profile_columns[i], fmt::join(names, ", ")));
  }
  // Before merging: a bad value is reported where it was written (file or profile patch).
  check_own_paths(source, root, prof, ppath, exp);
  if (prof.contains("columns"))
    patch_named(exp.columns, exp.column_origins, prof.at("columns"), at(ppath, "columns"), "column");
  if (prof.contains("rows")) patch_named(exp.rows, exp.row_origins, prof.at("rows"), at(ppath, "rows"), "row");

  // Validate the patched structure (plugins are checked when cells are expanded).
  for (size_t i = 0; i < exp.columns.size(); ++i) {
    const auto path = at(at(root, "columns"), i);
    const auto& c = exp.columns[i];
    check_keys(c, path, kColumnKeys);
    if (c.contains("paper")) require_object(c.at("paper"), at(path, "paper"));
    check_plugin_spec(c.at("dataset"), at(path, "dataset"));
    check_plugin_spec(c.at("student"), at(path, "student"));
    if (c.contains("train")) require_object(c.at("train"), at(path, "train"));
    if (c.contains("teacher")) {
      const auto tpath = at(path, "teacher");
      check_keys(c.at("teacher"), tpath, kTeacherKeys);
      check_plugin_spec(c.at("teacher").at("model"), at(tpath, "model"));
      check_plugin_spec(c.at("teacher").at("method"), at(tpath, "method"));
      if (c.at("teacher").contains("dataset")) check_plugin_spec(c.at("teacher").at("dataset"), at(tpath, "dataset"));
      if (c.at("teacher").contains("seed")) require_int(c.at("teacher").at("seed"), at(tpath, "seed"), 0);
    }
  }
  int teacher_rows = 0;
  for (size_t i = 0; i < exp.rows.size(); ++i) {
    const auto path = at(at(root, "rows"), i);
    const auto& r = exp.rows[i];
    require_object(r, path);
    if (r.contains("teacher")) {
      check_keys(r, path, kTeacherRowKeys);
      if (!require_bool(r.at("teacher"), at(path, "teacher")))
        throw ConfigError(fmt::format("{}.teacher: only `true` is meaningful; remove the key for a method row", path));
      ++teacher_rows;
    } else {
      check_method_row(r, path);
      if (r.contains("by_column")) {
        const auto bpath = at(path, "by_column");
        require_object(r.at("by_column"), bpath);
        const auto columns = exp.column_names();
        for (const auto& [column, patch] : r.at("by_column").items()) {
          const auto cpath = at(bpath, column);
          if (std::find(columns.begin(), columns.end(), column) == columns.end())
            throw ConfigError(fmt::format("{}: no column named '{}'; columns: {}", cpath, column,
                                          fmt::join(columns, ", ")));
          require_object(patch, cpath);
          for (const char* key : {"name", "by_column", "paper"})
            if (patch.contains(key))
              throw ConfigError(fmt::format("{}.{}: a per-column patch cannot change the row's {}",
                                            cpath, key, key));
          check_method_row(row_for_column(r, column), cpath);
        }
      }
    }
    if (r.contains("paper")) require_object(r.at("paper"), at(path, "paper"));
  }
  if (teacher_rows > 1)
    throw ConfigError(fmt::format("{}.rows: at most one row may be the teacher row", root));

  if (source.contains("figures")) {
    const auto& figs = require_array(source.at("figures"), at(root, "figures"));
    for (size_t i = 0; i < figs.size(); ++i) {
      const auto path = at(at(root, "figures"), i);
      check_keys(figs[i], path, kFigureKeys);
      exp.figures.push_back({require_string(figs[i].at("name"), at(path, "name")),
                             require_string(figs[i].at("kind"), at(path, "kind")), figs[i]});
    }
  }
  // Fail early on a bad train block rather than at the first run that uses it.
  resolve_train(exp.train, at(root, "train"), exp.train_origin);
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

namespace {
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
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
    offset = position;
    return false;
  }
};

// "line L, column C" of the first JSON error in `file`.
std::string error_place(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ErrorOffset sax;
  json::sax_parse(text, &sax);
  const auto end = std::min(sax.offset, text.size());
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n');
  const auto last_newline = text.rfind('\n', end == 0 ? 0 : end - 1);
  const auto column = last_newline == std::string::npos || end == 0 ? end : end - last_newline - 1;
  return fmt::format("line {}, column {}", line, column);
}
}  // namespace

Experiment load_experiment(const std::filesystem::path& file, const std::string& profile) {
  if (std::filesystem::is_directory(file))
    throw ConfigError(fmt::format("{}: is a directory, not an experiment file", file.string()));
  std::ifstream in(file);
  if (!in)
    throw ConfigError(fmt::format("{}: cannot open the experiment file (does it exist? experiments "
                                  "shipped with dfkd are in experiments/)", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  json source;
  try {
    source = parse_json_limited(text.str(), file.string());
  } catch (const json::parse_error& e) {
    throw ConfigError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  } catch (const json::exception& e) {  // e.g. out_of_range.406: a number overflowing a double
    throw ConfigError(fmt::format("{}: not valid JSON: {} at {}", file.string(), e.what(), error_place(file)));
  }
  auto exp = parse_experiment(source, profile, file.filename().string());
  exp.source_file = std::filesystem::weakly_canonical(std::filesystem::absolute(file)).string();
  return exp;
}

void check_every_profile(const Experiment& exp, const PluginHost& plugins) {
  for (const auto& p : exp.profiles) {
    const Experiment e = p == exp.profile ? exp : parse_profile(exp.source, p, exp.origin);
    // Every column, not only those the profile runs by default: --dataset may pick any.
    expand_cells(e, plugins, {{}, e.column_names(), 1});
  }
}

std::vector<CellRun> expand_cells(const Experiment& exp, const PluginHost& plugins,
                                  const CellFilter& filter) {
  const auto row_names = exp.row_names();
  const auto col_names = exp.column_names();
  for (const auto& r : filter.rows)
    if (std::find(row_names.begin(), row_names.end(), r) == row_names.end())
      throw ConfigError(fmt::format("--only {}: no such row in '{}'; rows: {}", r, exp.name,
                                    fmt::join(row_names, ", ")));
  for (const auto& c : filter.columns)
    if (std::find(col_names.begin(), col_names.end(), c) == col_names.end())
      throw ConfigError(fmt::format("--dataset {}: no such column in '{}'; columns: {}", c,
                                    exp.name, fmt::join(col_names, ", ")));
  auto selected = [](const std::vector<std::string>& filter, const std::string& name) {
    return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
  };
  const int64_t seeds = filter.seeds > 0 ? filter.seeds : exp.seeds;
  // Without --dataset, a profile may restrict the columns it runs (e.g. CPU profiles skip CIFAR).
  const std::vector<std::string>& columns = filter.columns.empty() ? exp.profile_columns : filter.columns;
  std::string teacher_row;
  for (const auto& r : exp.rows)
    if (r.contains("teacher")) teacher_row = r.at("name");

  std::vector<CellRun> teachers, students;
  for (size_t ci = 0; ci < exp.columns.size(); ++ci) {
    const auto& col = exp.columns[ci];
    const std::string column = col.at("name");
    if (!selected(columns, column)) continue;
    const std::string root = exp.origin.empty() ? exp.name : exp.origin;
    const auto cpath = fmt::format("{}.columns[{}]", root, ci);
    // Where the column's values were written (absent for a hand-made Experiment: merged paths).
    const json co = ci < exp.column_origins.size() ? exp.column_origins[ci] : json(nullptr);
    // Constructing a dataset reads no data; it validates the options and says where the data
    // comes from (a resolved directory), which becomes part of every run_key.
    auto resolve_dataset = [&](const json& spec, const std::string& path, const json& origin) {
      json d = resolve_plugin(spec, PluginKind::Dataset, path, plugins, origin);
      const auto& p = plugins.get(PluginKind::Dataset, d.at("plugin").get<std::string>());
      d["source"] = p.entry.make_dataset(Options(p.entry.name, d.at("options")))->source();
      return d;
    };
    const json dataset = resolve_dataset(col.at("dataset"), cpath + ".dataset", sub(co, "dataset"));

    std::optional<CellRun> teacher;
    auto need_teacher = [&]() -> const CellRun& {
      if (teacher) return *teacher;
      if (!col.contains("teacher"))
        throw ConfigError(fmt::format("{}: a row needs a teacher but column '{}' defines none; add "
                                      "\"teacher\": {{\"model\": ..., \"method\": ...}}", cpath, column));
      const auto& t = col.at("teacher");
      const auto tpath = cpath + ".teacher";
      CellRun run;
      run.row = teacher_row;
      run.column = column;
      run.seed = t.value("seed", 0);
      run.role = "teacher";
      const json& to = sub(co, "teacher");
      json train = exp.train;
      json train_origin = exp.train_origin;
      if (t.contains("train")) {
        train.merge_patch(t.at("train"));
        train_origin.merge_patch(sub(to, "train"));
      }
      run.config = {{"profile", exp.profile},
                    {"seed", run.seed},
                    {"role", "teacher"},
                    // A teacher may see more data than the column's students (paper Fig. 2a:
                    // students get a labelled subset, the teacher was trained on all of it).
                    {"dataset", t.contains("dataset") ? resolve_dataset(t.at("dataset"), tpath + ".dataset", sub(to, "dataset")) : dataset},
                    {"model", resolve_plugin(t.at("model"), PluginKind::Model, tpath + ".model", plugins, sub(to, "model"))},
                    {"method", resolve_plugin(t.at("method"), PluginKind::Method, tpath + ".method", plugins, sub(to, "method"))},
                    {"generator", nullptr},
                    {"regularizers", json::array()},
                    {"teacher", nullptr},
                    {"train", resolve_train(train, tpath + ".train", train_origin)}};
      const auto& traits = traits_of(run.config.at("method"), plugins);
      if (traits.needs_teacher || traits.needs_generator || !traits.uses_training_data)
        throw ConfigError(fmt::format("{}.method: a teacher is trained on real data; method '{}' is not "
                                      "a supervised method", tpath, run.config["method"]["plugin"].get<std::string>()));
      run.method = run.config["method"]["plugin"];
      run.run_key = sha256_hex(run.config.dump());
      teacher = run;
      return *teacher;
    };

    for (size_t ri = 0; ri < exp.rows.size(); ++ri) {
      const json row = row_for_column(exp.rows[ri], column);
      const std::string name = row.at("name");
      if (!selected(filter.rows, name)) continue;
      if (row.contains("teacher")) {
        need_teacher();
        continue;
      }
      const auto rpath = fmt::format("{}.rows[{}]", root, ri);
      // The row's origins patched exactly as the row was (profile, then by_column).
      const json ro = row_for_column(ri < exp.row_origins.size() ? exp.row_origins[ri] : json(nullptr), column);
      const json method = resolve_plugin(row.at("method"), PluginKind::Method, rpath + ".method", plugins,
                                         sub(ro, "method"));
      const auto& traits = traits_of(method, plugins);
      const std::string mname = method.at("plugin");
      if (traits.needs_generator && !row.contains("generator"))
        throw ConfigError(fmt::format("{}: method '{}' needs a generator; add \"generator\": {{\"plugin\": ...}}",
                                      rpath, mname));
      if (!traits.needs_generator && row.contains("generator"))
        throw ConfigError(fmt::format("{}.generator: method '{}' does not use a generator; remove the key",
                                      rpath, mname));
      if (!traits.accepts_regularizers && row.contains("regularizers") && !row.at("regularizers").empty())
        throw ConfigError(fmt::format("{}.regularizers: method '{}' takes no regularizers", rpath, mname));
      json regs = json::array();
      if (row.contains("regularizers")) {
        const auto& list = row.at("regularizers");
        for (size_t k = 0; k < list.size(); ++k) {
          const auto kpath = fmt::format("{}.regularizers[{}]", rpath, k);
          json r = resolve_plugin(list[k], PluginKind::Regularizer, kpath, plugins,
                                  origin_at(ro, {"regularizers", fmt::format("[{}]", k)}, kpath));
          r["weight"] = list[k].contains("weight") ? list[k].at("weight").get<double>() : 1.0;
          regs.push_back(r);
        }
      }
      json train = exp.train;
      json train_origin = exp.train_origin;
      if (col.contains("train")) {  // the column's defaults, then the row's
        train.merge_patch(col.at("train"));
        train_origin.merge_patch(sub(co, "train"));
      }
      if (row.contains("train")) {
        train.merge_patch(require_object(row.at("train"), rpath + ".train"));
        train_origin.merge_patch(sub(ro, "train"));
      }
      const json base{
          {"profile", exp.profile},
          {"role", "student"},
          {"dataset", dataset},
          {"model", resolve_plugin(row.contains("student") ? row.at("student") : col.at("student"),
                                   PluginKind::Model, row.contains("student") ? rpath + ".student" : cpath + ".student",
                                   plugins, row.contains("student") ? sub(ro, "student") : sub(co, "student"))},
          {"method", method},
          {"generator", row.contains("generator")
                            ? resolve_plugin(row.at("generator"), PluginKind::Generator, rpath + ".generator",
                                             plugins, sub(ro, "generator"))
                            : json(nullptr)},
          {"regularizers", regs},
          {"train", resolve_train(train, rpath + ".train", train_origin)}};
      for (int64_t s = 0; s < seeds; ++s) {
        CellRun run;
        run.row = name;
        run.column = column;
        run.seed = s;
        run.role = "student";
        run.method = mname;
        run.config = base;
        run.config["seed"] = s;
        run.config["teacher"] = nullptr;
        if (traits.needs_teacher) {
          const auto& t = need_teacher();
          run.config["teacher"] = t.run_key;
          run.parent_run_key = t.run_key;
          run.parent_row = t.row;
        }
        run.run_key = sha256_hex(run.config.dump());
        students.push_back(std::move(run));
      }
    }
    if (teacher) {
      // Only a selected teacher row puts the teacher in the table; otherwise it is a dependency.
      if (teacher_row.empty() || !selected(filter.rows, teacher_row)) teacher->row.clear();
      teachers.push_back(*teacher);
    }
  }
  teachers.insert(teachers.end(), students.begin(), students.end());
  return teachers;
}

}  // namespace dfkd::host
