#pragma once
/// The structure checks of an experiment file's blocks (rows, columns, plugin blocks) as written
/// (file entries and patches: every value at its own path) and as merged (profile and by_column
/// patches applied). Plugin names and options are checked later, against the loaded plugins
/// (planner/cells.hpp). Used by the experiment parser (experiment.cpp).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfkd::host {

/// `v` has `key` and it is not null (a merge patch's "delete").
bool present(const nlohmann::json& v, const char* key);

/// A row as written in the file or as a profile or by_column patch writes it: every value it
/// sets, at its own path (the patched row is validated again as a whole). `in_file`: the file's
/// row, whose keys may include its grid's (config/grid.hpp reads them).
void check_row_patch(const nlohmann::json& r, const std::string& path, bool teacher_row,
                     const std::vector<std::string>& columns, bool in_file = false);
/// A column as written in the file or as a profile patches it.
void check_column_patch(const nlohmann::json& c, const std::string& path);

/// A method row after patching, as a whole.
void check_method_row(const nlohmann::json& r, const std::string& path);
/// The teacher row after patching: `"teacher": true` and its labels.
void check_merged_teacher_row(const nlohmann::json& r, const std::string& path);
/// A method row's by_column patches: each names a column and gives a valid row once applied.
void check_merged_by_column(const nlohmann::json& r, const std::string& path,
                            const std::vector<std::string>& columns);
/// A column after the profile's patch, as a whole (its plugins are checked when cells are
/// expanded).
void check_merged_column(const nlohmann::json& c, const std::string& path);

}  // namespace dfkd::host
