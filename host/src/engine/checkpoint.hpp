#pragma once
/// Epoch checkpoints: every trainable module and optimizer state of a run plus the epoch it
/// completed, written to a temporary file and renamed so a crash never leaves half a file.
#include <filesystem>
#include <optional>

#include "dfkd/sdk.hpp"
#include "engine/training_data.hpp"

namespace dfkd::host {

struct TrainState {
  Model& student;
  Generator* generator;
  TrainContext& ctx;  ///< the method's optimizers and extra modules
  /// The run's pruning masks (null: the run prunes nothing). Saved with every checkpoint and
  /// read back on resume, so a resumed run keeps exactly the masks it started with.
  PruningMasks* masks = nullptr;
  /// The run's real-data batches (null: data-free), whose place in the current pass is saved.
  ShuffledBatches* batches = nullptr;
};

void save_checkpoint(const std::filesystem::path& file, const TrainState& state, int64_t epoch);
/// Restores the state; returns the epoch (1-based, completed) it was saved after. Throws
/// std::runtime_error naming the file if it does not match the run's modules.
int64_t load_checkpoint(const std::filesystem::path& file, const TrainState& state,
                        const torch::Device& device);

/// A module's parameters and buffers alone (the "model" artifact a teacher leaves).
void save_weights(const std::filesystem::path& file, torch::nn::Module& module);
void load_weights(const std::filesystem::path& file, torch::nn::Module& module,
                  const torch::Device& device);

}  // namespace dfkd::host
