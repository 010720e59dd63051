#include "config/run_config.hpp"

#include <fmt/format.h>

#include "config/json_check.hpp"
#include "dfkd/errors.hpp"
#include "util/hash.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

const KeySet kRunConfigKeys{{"profile", "role", "seed", "dataset", "model", "method", "generator",
                             "regularizers", "teacher", "train"},
                            {"augmentations", "init_from", "pruning"}};
const KeySet kPluginKeys{{"plugin", "version", "options"}, {}};
const KeySet kDatasetKeys{{"plugin", "version", "options", "source"}, {}};
const KeySet kRegularizerKeys{{"plugin", "version", "options", "weight"}, {}};
const KeySet kTrainKeys{{"epochs", "iterations_per_epoch", "batch_size", "eval_batch_size",
                         "lr_schedule", "save_generated"},
                        {"precision"}};
const KeySet kScheduleKeys{{"type"}, {"step_size", "milestones", "gamma"}};

std::string at(const std::string& path, const std::string& key) {
  return path + "." + key;
}

double number_at(const json& j, const std::string& key, const std::string& path) {
  const json& v = j.at(key);
  if (!v.is_number())
    throw ConfigError(
        fmt::format("{}: expected a number, found {} ({})", at(path, key), json_kind(v), v.dump()));
  return v.get<double>();
}

int64_t int_at(const json& j, const std::string& key, const std::string& path) {
  return require_int(j.at(key), at(path, key), std::numeric_limits<int64_t>::min());
}

PluginChoice read_plugin(const json& j, const std::string& path, const KeySet& keys = kPluginKeys) {
  check_keys(j, path, keys);
  return {require_string(j.at("plugin"), at(path, "plugin")),
          require_string(j.at("version"), at(path, "version")), j.at("options")};
}

json write_plugin(const PluginChoice& p) {
  return {{"plugin", p.plugin}, {"version", p.version}, {"options", p.options}};
}

DatasetChoice read_dataset(const json& j, const std::string& path) {
  DatasetChoice d;
  static_cast<PluginChoice&>(d) = read_plugin(j, path, kDatasetKeys);
  d.source = j.at("source");
  return d;
}

RegularizerChoice read_regularizer(const json& j, const std::string& path) {
  RegularizerChoice r;
  static_cast<PluginChoice&>(r) = read_plugin(j, path, kRegularizerKeys);
  r.weight = number_at(j, "weight", path);
  return r;
}

LrSchedule read_schedule(const json& j, const std::string& path) {
  check_keys(j, path, kScheduleKeys);
  LrSchedule s;
  s.type = require_string(j.at("type"), at(path, "type"));
  if (j.contains("step_size")) s.step_size = int_at(j, "step_size", path);
  if (j.contains("milestones")) {
    const auto mpath = at(path, "milestones");
    s.milestones.emplace();
    for (const auto& m : require_array(j.at("milestones"), mpath))
      s.milestones->push_back(require_int(m, mpath, std::numeric_limits<int64_t>::min()));
  }
  if (j.contains("gamma")) s.gamma = number_at(j, "gamma", path);
  return s;
}

TrainSettings read_train(const json& j, const std::string& path) {
  check_keys(j, path, kTrainKeys);
  TrainSettings t;
  t.epochs = int_at(j, "epochs", path);
  t.iterations_per_epoch = int_at(j, "iterations_per_epoch", path);
  t.batch_size = int_at(j, "batch_size", path);
  t.eval_batch_size = int_at(j, "eval_batch_size", path);
  t.lr_schedule = read_schedule(j.at("lr_schedule"), at(path, "lr_schedule"));
  t.save_generated = int_at(j, "save_generated", path);
  if (j.contains("precision")) {
    t.precision = require_string(j.at("precision"), at(path, "precision"));
    if (t.precision != "bf16")  // fp32 is written by omission (resolve_train)
      throw ConfigError(fmt::format("{}: expected \"bf16\" or no key (fp32), found \"{}\"",
                                    at(path, "precision"), t.precision));
  }
  return t;
}

RunConfig read_run_config(const json& j, const std::string& path) {
  check_keys(j, path, kRunConfigKeys);
  RunConfig c;
  c.profile = require_string(j.at("profile"), at(path, "profile"));
  c.role = require_string(j.at("role"), at(path, "role"));
  c.seed = int_at(j, "seed", path);
  c.dataset = read_dataset(j.at("dataset"), at(path, "dataset"));
  c.model = read_plugin(j.at("model"), at(path, "model"));
  c.method = read_plugin(j.at("method"), at(path, "method"));
  if (!j.at("generator").is_null())
    c.generator = read_plugin(j.at("generator"), at(path, "generator"));
  const auto rpath = at(path, "regularizers");
  const json& regs = require_array(j.at("regularizers"), rpath);
  for (size_t i = 0; i < regs.size(); ++i)
    c.regularizers.push_back(read_regularizer(regs[i], fmt::format("{}[{}]", rpath, i)));
  if (j.contains("augmentations")) {
    const auto apath = at(path, "augmentations");
    const json& augs = require_array(j.at("augmentations"), apath);
    for (size_t i = 0; i < augs.size(); ++i)
      c.augmentations.push_back(read_plugin(augs[i], fmt::format("{}[{}]", apath, i)));
  }
  if (!j.at("teacher").is_null()) c.teacher = require_string(j.at("teacher"), at(path, "teacher"));
  if (j.contains("init_from"))
    c.init_from = require_string(j.at("init_from"), at(path, "init_from"));
  if (j.contains("pruning")) c.pruning = read_plugin(j.at("pruning"), at(path, "pruning"));
  c.train = read_train(j.at("train"), at(path, "train"));
  return c;
}

}  // namespace

void from_json(const json& j, PluginChoice& out) {
  out = read_plugin(j, "plugin block");
}
void to_json(json& j, const PluginChoice& in) {
  j = write_plugin(in);
}

void from_json(const json& j, DatasetChoice& out) {
  out = read_dataset(j, "dataset block");
}
void to_json(json& j, const DatasetChoice& in) {
  j = write_plugin(in);
  j["source"] = in.source;
}

void from_json(const json& j, RegularizerChoice& out) {
  out = read_regularizer(j, "regularizer block");
}
void to_json(json& j, const RegularizerChoice& in) {
  j = write_plugin(in);
  j["weight"] = in.weight;
}

void from_json(const json& j, LrSchedule& out) {
  out = read_schedule(j, "lr_schedule");
}
void to_json(json& j, const LrSchedule& in) {
  j = {{"type", in.type}};
  if (in.step_size) j["step_size"] = *in.step_size;
  if (in.milestones) j["milestones"] = *in.milestones;
  if (in.gamma) j["gamma"] = *in.gamma;
}

void from_json(const json& j, TrainSettings& out) {
  out = read_train(j, "train");
}
void to_json(json& j, const TrainSettings& in) {
  j = {{"epochs", in.epochs},           {"iterations_per_epoch", in.iterations_per_epoch},
       {"batch_size", in.batch_size},   {"eval_batch_size", in.eval_batch_size},
       {"lr_schedule", in.lr_schedule}, {"save_generated", in.save_generated}};
  if (in.precision != "fp32") j["precision"] = in.precision;
}

void from_json(const json& j, RunConfig& out) {
  out = read_run_config(j, "run config");
}
void to_json(json& j, const RunConfig& in) {
  j = {{"profile", in.profile},
       {"role", in.role},
       {"seed", in.seed},
       {"dataset", in.dataset},
       {"model", in.model},
       {"method", in.method},
       {"generator", in.generator ? json(*in.generator) : json(nullptr)},
       {"regularizers", in.regularizers},
       {"teacher", in.teacher ? json(*in.teacher) : json(nullptr)},
       {"train", in.train}};
  if (!in.augmentations.empty()) j["augmentations"] = in.augmentations;
  if (in.init_from) j["init_from"] = *in.init_from;
  if (in.pruning) j["pruning"] = *in.pruning;
}

std::string run_key(const RunConfig& config) {
  return sha256_hex(json(config).dump());
}

}  // namespace dfkd::host
