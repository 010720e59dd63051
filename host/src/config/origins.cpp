#include "config/origins.hpp"

#include <fmt/format.h>

namespace dfkd::host {

using json = nlohmann::json;

std::string json_path(const std::string& path, const std::string& key) {
  return path + "." + key;
}
std::string json_path(const std::string& path, size_t i) {
  return fmt::format("{}[{}]", path, i);
}

json origin_tree(const json& v, const std::string& path) {
  if (v.is_object()) {
    json o = json::object();
    for (const auto& [key, x] : v.items()) o[key] = origin_tree(x, json_path(path, key));
    return o;
  }
  if (v.is_null()) return nullptr;
  return path;
}

std::string origin_at(const json& tree, const std::vector<std::string>& keys,
                      const std::string& fallback) {
  const json* n = &tree;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (n->is_string()) {  // a list (or scalar) set as a whole: its elements live under its path
      std::string p = n->get<std::string>();
      for (; i < keys.size(); ++i) p = keys[i].front() == '[' ? p + keys[i] : json_path(p, keys[i]);
      return p;
    }
    if (!n->is_object() || !n->contains(keys[i])) return fallback;
    n = &n->at(keys[i]);
  }
  return n->is_string() ? n->get<std::string>() : fallback;
}

json origin_element(const json& list, size_t i, const std::string& fallback) {
  if (list.is_string()) return json_path(list.get<std::string>(), i);
  const auto key = fmt::format("[{}]", i);
  return list.is_object() && list.contains(key) ? list.at(key) : json(fallback);
}

const json& origin_sub(const json& tree, const std::string& key) {
  static const json none;
  return tree.is_object() && tree.contains(key) ? tree.at(key) : none;
}

}  // namespace dfkd::host
