#include "config/train_block.hpp"

#include <fmt/format.h>

#include "config/json_check.hpp"
#include "config/origins.hpp"
#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

const KeySet kTrainKeys{{},
                        {"epochs", "iterations_per_epoch", "batch_size", "eval_batch_size",
                         "lr_schedule", "save_generated", "precision"}};
const KeySet kScheduleKeys{{"type"}, {"step_size", "milestones", "gamma"}};
const KeySet kSchedulePatchKeys{{}, {"type", "step_size", "milestones", "gamma"}};

// One value of a train block, at its own path.
void check_train_value(const std::string& key, const json& v, const std::string& path) {
  if (key == "epochs") require_int(v, path, 1, kMaxEpochs);
  if (key == "iterations_per_epoch") require_int(v, path, 0, kMaxIterationsPerEpoch);
  if (key == "batch_size" || key == "eval_batch_size") require_int(v, path, 1, kMaxBatchSize);
  if (key == "save_generated") require_int(v, path, 0, kMaxSaveGenerated);
  if (key == "precision") {
    const auto precision = require_string(v, path);
    if (precision != "fp32" && precision != "bf16")
      throw ConfigError(fmt::format(
          "{}: expected \"fp32\" or \"bf16\" (autocast to bfloat16, docs/experiments.md); "
          "found \"{}\"",
          path, precision));
  }
}

// One value of an lr_schedule block, at its own path; returns it as resolved.
json check_schedule_value(const std::string& key, const json& v, const std::string& path) {
  if (key == "type") {
    const auto type = require_string(v, path);
    if (type != "constant" && type != "step" && type != "multistep" && type != "cosine")
      throw ConfigError(fmt::format(
          "{}: expected one of constant, step, multistep, cosine; found \"{}\"", path, type));
    return type;
  }
  if (key == "step_size") return require_int(v, path, 1, kMaxEpochs);
  if (key == "milestones") {
    const json m = require_array(v, path);
    for (size_t i = 0; i < m.size(); ++i) require_int(m[i], json_path(path, i), 1, kMaxEpochs);
    return m;
  }
  // gamma: the factor the learning rate is multiplied by at each step.
  const double gamma = require_number(v, path);
  if (!(gamma > 0))
    throw ConfigError(fmt::format("{}: expected a number > 0, found {}", path, v.dump()));
  return gamma;
}

}  // namespace

void check_train_patch(const json& t, const std::string& path) {
  check_keys(t, path, kTrainKeys);
  for (const auto& [key, v] : t.items()) {
    if (v.is_null()) continue;  // deletes the key: the default applies
    if (key != "lr_schedule") {
      check_train_value(key, v, json_path(path, key));
      continue;
    }
    const auto spath = json_path(path, key);
    check_keys(v, spath, kSchedulePatchKeys);
    for (const auto& [skey, sv] : v.items())
      if (!sv.is_null()) check_schedule_value(skey, sv, json_path(spath, skey));
  }
}

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
  const json defaults = default_train_block();
  json out = defaults;
  out.merge_patch(merged);
  // A null deletes a key in a patch; here, where nothing is left to patch, it means "the default".
  for (const auto& [key, v] : defaults.items())
    if (!out.contains(key)) out[key] = v;
  // Each value is reported where it was written (a profile's patch, a row...), if known.
  auto where = [&](std::vector<std::string> keys) {
    std::string fallback = path;
    for (const auto& k : keys) fallback = json_path(fallback, k);
    return origin_at(origin, keys, fallback);
  };
  for (const char* key :
       {"epochs", "iterations_per_epoch", "batch_size", "eval_batch_size", "save_generated"})
    check_train_value(key, out.at(key), where({key}));
  // fp32 is the default and stays out of the resolved block, so fp32 runs keep the run keys they
  // had before precision existed.
  if (out.contains("precision")) {
    check_train_value("precision", out.at("precision"), where({"precision"}));
    if (out.at("precision") == "fp32") out.erase("precision");
  }
  auto& s = out.at("lr_schedule");
  const auto spath = json_path(path, "lr_schedule");
  check_keys(s, spath, kScheduleKeys);
  const auto type =
      check_schedule_value("type", s.at("type"), where({"lr_schedule", "type"})).get<std::string>();
  auto value = [&](const char* key, const json& fallback) {
    return s.contains(key) ? check_schedule_value(key, s.at(key), where({"lr_schedule", key}))
                           : check_schedule_value(key, fallback, json_path(spath, key));
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
      throw ConfigError(
          fmt::format("{}: a cosine schedule (to 0 over all epochs) takes no other keys", spath));
  }
  out["lr_schedule"] = resolved;
  return out;
}

}  // namespace dfkd::host
