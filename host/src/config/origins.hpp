#pragma once
/// JSON paths for error messages, and origin trees: where each value of a merged block was written
/// (the base entry, a profile's patch or a by_column patch), so that an error found after merging
/// names the place in the file to fix. Shared by the experiment parser and the cell expansion.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfkd::host {

/// "path.key" and "path[i]".
std::string json_path(const std::string& path, const std::string& key);
std::string json_path(const std::string& path, size_t i);

/// The same tree as `v` with every value that is not an object (nor null, a merge patch's
/// "delete") replaced by its JSON path. Merge-patching these trees exactly as the blocks are
/// patched tells, for any value of the merged block, the place in the file that set it.
nlohmann::json origin_tree(const nlohmann::json& v, const std::string& path);

/// The path that set `keys` (object keys; "[i]" for a list element) of a merged block, or
/// `fallback` when the tree does not say (a default, or no tree).
std::string origin_at(const nlohmann::json& tree, const std::vector<std::string>& keys,
                      const std::string& fallback);

/// The origin tree of entry `i` of a list whose origin tree is `list`: the list's path + "[i]"
/// when the list was written as a whole, the entry's own tree when a grid set a value inside it
/// (grid.hpp), or `fallback` when the tree does not say.
nlohmann::json origin_element(const nlohmann::json& list, size_t i, const std::string& fallback);

/// The subtree of `tree` under `key`, or null when there is none.
const nlohmann::json& origin_sub(const nlohmann::json& tree, const std::string& key);

}  // namespace dfkd::host
