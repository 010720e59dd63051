#pragma once
/// The train block of an experiment (docs/experiments.md): epochs, batch sizes, LR schedule...
/// as written at any level (file, column, row, profile patch) and as resolved for one run.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace dfkd::host {

/// Upper bounds of the train block (docs/experiments.md): values above them are typos, and a
/// batch of 10^9 would only fail as a 32 GB allocation at run time.
constexpr int64_t kMaxEpochs = 100000;
constexpr int64_t kMaxIterationsPerEpoch = 10000000;
constexpr int64_t kMaxBatchSize = 65536;
constexpr int64_t kMaxSaveGenerated = 1000000;

/// Training defaults every run gets unless the experiment or row sets them.
nlohmann::json default_train_block();
/// Validates a train block (after merging) and fills defaults; throws ConfigError naming `path`,
/// or for a value `origin` (a tree like Experiment::train_origin) locates, that value's own path.
nlohmann::json resolve_train(const nlohmann::json& merged, const std::string& path,
                             const nlohmann::json& origin = nullptr);

/// A train block as written (a file's, a column's, a row's or a profile's patch of one): every
/// value it sets is checked at its own path. The merged block is checked again by resolve_train.
void check_train_patch(const nlohmann::json& t, const std::string& path);

}  // namespace dfkd::host
