#pragma once
/// The host's one training loop. A method plugin supplies one iteration; the engine owns epochs,
/// evaluation, the LR schedule, checkpoints, metric logging, NaN/inf detection and interrupts.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <torch/torch.h>

#include "engine/builders.hpp"
#include "engine/op_profile.hpp"
#include "loader/plugin_host.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

/// What a progress display gets after every epoch.
struct EpochReport {
  const RunRecord& run;
  int64_t epoch = 0;  ///< 1-based, completed
  int64_t epochs = 0;
  const std::map<std::string, double>& metrics;
  double elapsed_seconds = 0;  ///< since this attempt started
  int64_t resumed_from = 0;    ///< epochs restored from a checkpoint at start
};

/// One main-loop iteration, for live progress displays.
struct IterationReport {
  const RunRecord& run;
  int64_t epoch = 0;      ///< 1-based, in progress
  int64_t iteration = 0;  ///< 1-based, within the epoch
  int64_t iterations = 0;
  const std::map<std::string, double>& metrics;  ///< this iteration's (losses)
};

struct EngineOptions {
  torch::Device device = torch::kCPU;
  std::string environment_id;
  std::function<void(const EpochReport&)> on_epoch;
  /// Benchmarks (`dfkd run --time-iterations`): each main-loop iteration's wall time.
  std::function<void(const RunRecord&, int64_t step, double seconds)> on_iteration;
  /// Live progress (a `dfkd worker` reporting to its parent's terminal): every main-loop
  /// iteration; keep it cheap.
  std::function<void(const IterationReport&)> on_progress;
  /// `dfkd run --profile-ops STEP`: this main-loop global step runs under the autograd profiler.
  int64_t profile_step = -1;
  std::function<void(const RunRecord&, const OpProfile&)> on_op_profile;
};

enum class RunOutcome { Completed, Failed, Killed };

class Engine {
 public:
  Engine(const PluginHost& plugins, ResultsStore& store, EngineOptions options);
  /// Trains the run (already claimed by the caller) to completion, failure or interrupt and
  /// records the outcome in the store. Never throws for problems of the run itself.
  RunOutcome execute(const RunRecord& run);
  const std::string& last_error() const { return last_error_; }

  /// Directory of a run's files: <store file>-artifacts/<run_key> (checkpoint while training,
  /// then immutable content-addressed artifacts of every attempt).
  std::filesystem::path artifact_dir(const RunRecord& run) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Session;  ///< one training attempt's networks, method, data and state (engine.cpp)

  /// The one training loop: set up, resume or pre-train, the epochs, the final artifacts.
  RunOutcome train(const RunRecord& run);
  std::unique_ptr<Session> set_up(const RunRecord& run);
  void build_networks(Session& s);
  void load_teacher(Session& s);
  void load_initial_weights(Session& s);
  void prune(Session& s);
  void build_context(Session& s);
  int64_t iterations_per_epoch(const Session& s) const;
  /// Restores the epoch checkpoint if there is one; a fresh run runs the pre-training stages.
  void resume_or_pretrain(Session& s);
  /// One epoch of the main loop: LR schedule, iterations, evaluation, metrics, checkpoint.
  void train_epoch(Session& s, int64_t epoch);
  /// The model (and generated-sample) artifacts, then the run marked completed.
  void finish(Session& s);
  void save_generated_sample(Session& s);
  /// `iters` iterations of one epoch (main loop or pre-training stage): interrupt checks,
  /// heartbeats, NaN/inf checks naming the metric, epoch and step (`where` says which loop);
  /// each iteration under bf16 autocast when `bf16` (train.precision); returns each metric's
  /// mean over the epoch.
  std::map<std::string, double> run_epoch(
      const RunRecord& run, TrainContext& ctx, int64_t epoch, int64_t iters,
      const std::function<StepMetrics(TrainContext&)>& iteration, const std::string& where,
      bool bf16);
  /// Runs one pre-training stage of the method, logging "<stage>/<metric>" per stage epoch.
  void pretrain(const RunRecord& run, const PretrainingStage& stage, TrainContext& ctx,
                const BatchSource* batches, uint64_t seed, bool bf16);
  const PluginHost& plugins_;
  ResultsStore& store_;
  EngineOptions options_;
  Clock::time_point last_heartbeat_;  ///< of the run being trained
  DatasetCache datasets_;
  std::string last_error_;
};

/// The trained weights of a completed run (its newest "model" artifact, checked against its
/// sha256), loaded into a fresh model; `used` receives that artifact's record.
std::unique_ptr<Model> load_trained_model(const PluginHost& plugins, DatasetCache& datasets,
                                          const ResultsStore& store, const RunRecord& run,
                                          const torch::Device& device,
                                          ArtifactRecord* used = nullptr);

}  // namespace dfkd::host
