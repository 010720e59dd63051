#pragma once
/// The resolved config of one run, typed: what expand_cells (config/experiment.cpp) builds for a
/// cell and the results store keeps as config_json. Its JSON form is canonical: the run_key is the
/// sha256 of its dump(), so to_json(from_json(j)) reproduces j exactly (same keys, same number
/// kinds) for every resolved config.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfkd::host {

/// A resolved plugin block: {"plugin", "version", "options"} (options with defaults filled in).
struct PluginChoice {
  std::string plugin;
  std::string version;  ///< the version the run was planned with
  nlohmann::json options;
};

/// A dataset block also says where its data comes from (a resolved directory), so that the same
/// options over other files are another run.
struct DatasetChoice : PluginChoice {
  nlohmann::json source;  ///< Dataset::source(); null when the dataset reads no files
};

struct RegularizerChoice : PluginChoice {
  double weight = 1.0;
};

/// A resolved "lr_schedule" block; which optional fields are set depends on the type.
struct LrSchedule {
  std::string type;                                ///< constant, step, multistep or cosine
  std::optional<int64_t> step_size;                ///< step
  std::optional<std::vector<int64_t>> milestones;  ///< multistep
  std::optional<double> gamma;                     ///< step and multistep
};

/// A resolved "train" block (defaults already filled in by resolve_train).
struct TrainSettings {
  int64_t epochs = 0;
  int64_t iterations_per_epoch = 0;  ///< 0: one pass over the training data per epoch
  int64_t batch_size = 0;
  int64_t eval_batch_size = 0;
  LrSchedule lr_schedule;
  int64_t save_generated = 0;      ///< generator samples kept as an artifact at the end
  std::string precision = "fp32";  ///< or "bf16" (engine/precision.hpp); only bf16 is serialised
};

struct RunConfig {
  std::string profile;
  std::string role;  ///< "teacher" or "student"
  int64_t seed = 0;
  DatasetChoice dataset;
  PluginChoice model;
  PluginChoice method;
  std::optional<PluginChoice> generator;  ///< data-free methods only
  std::vector<RegularizerChoice> regularizers;
  /// Applied in order to every real training batch. Serialised only when non-empty, so runs
  /// without augmentations keep the run keys they had before augmentation plugins existed.
  std::vector<PluginChoice> augmentations;
  std::optional<std::string> teacher;  ///< the teacher's run_key, for methods that need one
  /// The run_key of the run whose trained weights the student starts from (a row's `init_from`:
  /// fine-tuning phases). Serialised only when set, as augmentations.
  std::optional<std::string> init_from;
  /// The pruner applied to the student at the start (after init_from's weights are loaded);
  /// serialised only when set.
  std::optional<PluginChoice> pruning;
  TrainSettings train;
};

// nlohmann's conversions: `json.get<RunConfig>()` and `nlohmann::json(config)`. Reading throws
// ConfigError naming the key that is missing, unknown or of the wrong kind.
void from_json(const nlohmann::json& j, PluginChoice& out);
void to_json(nlohmann::json& j, const PluginChoice& in);
void from_json(const nlohmann::json& j, DatasetChoice& out);
void to_json(nlohmann::json& j, const DatasetChoice& in);
void from_json(const nlohmann::json& j, RegularizerChoice& out);
void to_json(nlohmann::json& j, const RegularizerChoice& in);
void from_json(const nlohmann::json& j, LrSchedule& out);
void to_json(nlohmann::json& j, const LrSchedule& in);
void from_json(const nlohmann::json& j, TrainSettings& out);
void to_json(nlohmann::json& j, const TrainSettings& in);
void from_json(const nlohmann::json& j, RunConfig& out);
void to_json(nlohmann::json& j, const RunConfig& in);

/// sha256 of the canonical JSON's dump(): the run's identity in the store.
std::string run_key(const RunConfig& config);

}  // namespace dfkd::host
