#include "config/block_checks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "config/experiment.hpp"
#include "config/json_check.hpp"
#include "config/origins.hpp"
#include "config/train_block.hpp"
#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

const KeySet kColumnKeys{{"name", "dataset", "student"},
                         {"teacher", "train", "description", "paper"}};
const KeySet kTeacherKeys{{"model", "method"}, {"dataset", "train", "seed", "augmentations"}};
const KeySet kTeacherRowKeys{{"name", "teacher"}, {"paper", "description"}};
const KeySet kRowKeys{{"name", "method"},
                      {"generator", "regularizers", "augmentations", "train", "student", "paper",
                       "description", "by_column", "init_from", "teacher_from", "pruning"}};
const KeySet kPluginKeys{{"plugin"}, {"options"}};
const KeySet kRegularizerKeys{{"plugin"}, {"weight", "options"}};
// Keys a row's patches (profile, by_column) cannot set: what names the row, and its grid, which
// expands before any patch applies.
const char* const kUnpatchableRowKeys[] = {"name", "by_column", "paper", "grid", "grid_labels"};

void check_plugin_spec(const json& spec, const std::string& path) {
  check_keys(spec, path, kPluginKeys);
  require_string(spec.at("plugin"), json_path(path, "plugin"));
  if (spec.contains("options")) require_object(spec.at("options"), json_path(path, "options"));
}

void check_regularizers(const json& list, const std::string& path) {
  const auto& regs = require_array(list, path);
  for (size_t k = 0; k < regs.size(); ++k) {
    const auto rp = json_path(path, k);
    check_keys(regs[k], rp, kRegularizerKeys);
    require_string(regs[k].at("plugin"), json_path(rp, "plugin"));
    if (regs[k].contains("weight")) require_number(regs[k].at("weight"), json_path(rp, "weight"));
    if (regs[k].contains("options"))
      require_object(regs[k].at("options"), json_path(rp, "options"));
  }
}

// A list of plugin blocks, e.g. "augmentations": [{"plugin": "cutmix", "options": {...}}].
void check_plugin_list(const json& list, const std::string& path) {
  const auto& items = require_array(list, path);
  for (size_t k = 0; k < items.size(); ++k) check_plugin_spec(items[k], json_path(path, k));
}

// A plugin block as a profile or by_column patch writes it: any subset of its keys.
void check_plugin_patch(const json& spec, const std::string& path) {
  check_keys(spec, path, KeySet{{}, {"plugin", "options"}});
  if (spec.contains("plugin") && !spec.at("plugin").is_null())
    require_string(spec.at("plugin"), json_path(path, "plugin"));
  if (spec.contains("options") && !spec.at("options").is_null())
    require_object(spec.at("options"), json_path(path, "options"));
}

KeySet all_optional(const KeySet& k) {
  KeySet out{{}, k.required};
  out.optional.insert(out.optional.end(), k.optional.begin(), k.optional.end());
  return out;
}

}  // namespace

bool present(const json& v, const char* key) {
  return v.contains(key) && !v.at(key).is_null();
}

void check_method_row(const json& r, const std::string& path) {
  check_keys(r, path, kRowKeys);
  check_plugin_spec(r.at("method"), json_path(path, "method"));
  if (r.contains("generator")) check_plugin_spec(r.at("generator"), json_path(path, "generator"));
  if (r.contains("student")) check_plugin_spec(r.at("student"), json_path(path, "student"));
  if (r.contains("pruning")) check_plugin_spec(r.at("pruning"), json_path(path, "pruning"));
  if (r.contains("regularizers"))
    check_regularizers(r.at("regularizers"), json_path(path, "regularizers"));
  if (r.contains("augmentations"))
    check_plugin_list(r.at("augmentations"), json_path(path, "augmentations"));
  for (const char* key : {"init_from", "teacher_from"})
    if (r.contains(key)) require_string(r.at(key), json_path(path, key));
}

void check_row_patch(const json& r, const std::string& path, bool teacher_row,
                     const std::vector<std::string>& columns, bool in_file) {
  KeySet keys = all_optional(teacher_row ? kTeacherRowKeys : kRowKeys);
  if (in_file && !teacher_row) keys.optional.insert(keys.optional.end(), {"grid", "grid_labels"});
  check_keys(r, path, keys);
  if (teacher_row) return;
  for (const char* key : {"method", "generator", "student", "pruning"})
    if (present(r, key)) check_plugin_patch(r.at(key), json_path(path, key));
  if (present(r, "regularizers"))
    check_regularizers(r.at("regularizers"), json_path(path, "regularizers"));
  if (present(r, "augmentations"))
    check_plugin_list(r.at("augmentations"), json_path(path, "augmentations"));
  if (present(r, "train")) check_train_patch(r.at("train"), json_path(path, "train"));
  for (const char* key : {"init_from", "teacher_from"})
    if (present(r, key)) require_string(r.at(key), json_path(path, key));
  if (present(r, "by_column")) {
    const auto bpath = json_path(path, "by_column");
    for (const auto& [column, patch] : require_object(r.at("by_column"), bpath).items()) {
      const auto cpath = json_path(bpath, column);
      if (std::find(columns.begin(), columns.end(), column) == columns.end())
        throw ConfigError(fmt::format("{}: no column named '{}'; columns: {}", cpath, column,
                                      fmt::join(columns, ", ")));
      if (patch.is_null()) continue;
      require_object(patch, cpath);
      for (const char* key : kUnpatchableRowKeys)
        if (patch.contains(key))
          throw ConfigError(
              fmt::format("{}.{}: a per-column patch cannot change the row's {}", cpath, key, key));
      check_row_patch(patch, cpath, false, columns);
    }
  }
}

void check_column_patch(const json& c, const std::string& path) {
  check_keys(c, path, all_optional(kColumnKeys));
  for (const char* key : {"dataset", "student"})
    if (present(c, key)) check_plugin_patch(c.at(key), json_path(path, key));
  if (present(c, "train")) check_train_patch(c.at("train"), json_path(path, "train"));
  if (present(c, "teacher")) {
    const auto tpath = json_path(path, "teacher");
    const auto& t = c.at("teacher");
    check_keys(t, tpath, all_optional(kTeacherKeys));
    for (const char* key : {"model", "method", "dataset"})
      if (present(t, key)) check_plugin_patch(t.at(key), json_path(tpath, key));
    if (present(t, "train")) check_train_patch(t.at("train"), json_path(tpath, "train"));
    if (present(t, "seed")) require_int(t.at("seed"), json_path(tpath, "seed"), 0);
    if (present(t, "augmentations"))
      check_plugin_list(t.at("augmentations"), json_path(tpath, "augmentations"));
  }
}

void check_merged_column(const json& c, const std::string& path) {
  check_keys(c, path, kColumnKeys);
  if (c.contains("paper")) require_object(c.at("paper"), json_path(path, "paper"));
  check_plugin_spec(c.at("dataset"), json_path(path, "dataset"));
  check_plugin_spec(c.at("student"), json_path(path, "student"));
  if (c.contains("train")) require_object(c.at("train"), json_path(path, "train"));
  if (!c.contains("teacher")) return;
  const auto tpath = json_path(path, "teacher");
  const auto& t = c.at("teacher");
  check_keys(t, tpath, kTeacherKeys);
  check_plugin_spec(t.at("model"), json_path(tpath, "model"));
  check_plugin_spec(t.at("method"), json_path(tpath, "method"));
  if (t.contains("dataset")) check_plugin_spec(t.at("dataset"), json_path(tpath, "dataset"));
  if (t.contains("seed")) require_int(t.at("seed"), json_path(tpath, "seed"), 0);
  if (t.contains("augmentations"))
    check_plugin_list(t.at("augmentations"), json_path(tpath, "augmentations"));
}

void check_merged_by_column(const json& r, const std::string& path,
                            const std::vector<std::string>& columns) {
  const auto bpath = json_path(path, "by_column");
  require_object(r.at("by_column"), bpath);
  for (const auto& [column, patch] : r.at("by_column").items()) {
    const auto cpath = json_path(bpath, column);
    if (std::find(columns.begin(), columns.end(), column) == columns.end())
      throw ConfigError(fmt::format("{}: no column named '{}'; columns: {}", cpath, column,
                                    fmt::join(columns, ", ")));
    require_object(patch, cpath);
    for (const char* key : kUnpatchableRowKeys)
      if (patch.contains(key))
        throw ConfigError(
            fmt::format("{}.{}: a per-column patch cannot change the row's {}", cpath, key, key));
    check_method_row(row_for_column(r, column), cpath);
  }
}

void check_merged_teacher_row(const json& r, const std::string& path) {
  check_keys(r, path, kTeacherRowKeys);
  if (!require_bool(r.at("teacher"), json_path(path, "teacher")))
    throw ConfigError(fmt::format(
        "{}.teacher: only `true` is meaningful; remove the key for a method row", path));
}

}  // namespace dfkd::host
