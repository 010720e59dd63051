#pragma once
/// Method plugins contribute ONE training iteration; the host owns everything around it
/// (epochs, evaluation, LR schedule, checkpoints, metric logging, NaN detection, Ctrl-C).
///
/// Example (data-free adversarial distillation, one iteration = k student steps + 1 generator
/// step):
///   void setup(TrainContext& ctx) override {
///     ctx.add_optimizer("student", std::make_unique<torch::optim::SGD>(...));
///   }
///   StepMetrics iteration(TrainContext& ctx) override { ...; return {{"loss_student", ls}}; }
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "dfkd/batch.hpp"
#include "dfkd/dataset.hpp"
#include "dfkd/generator.hpp"
#include "dfkd/model.hpp"
#include "dfkd/regularizer.hpp"

namespace dfkd {

/// Scalar metrics of one iteration, e.g. {"loss_student", 0.12}; the host averages them per
/// epoch, stores them and fails the run if one is not finite.
using StepMetrics = std::map<std::string, double>;

/// Real training data, handed only to methods whose traits say they use it.
class BatchSource {
 public:
  virtual ~BatchSource();
  virtual Batch next() = 0;
  virtual int64_t size() const = 0;  ///< number of training samples
};

/// Everything a method may touch during training. Built by the host per run.
class TrainContext {
 public:
  TrainContext(Model& student, torch::Device device, int64_t batch_size, torch::Generator& rng);
  ~TrainContext();
  TrainContext(const TrainContext&) = delete;
  TrainContext& operator=(const TrainContext&) = delete;

  Model& student;
  Model* teacher = nullptr;           ///< frozen: eval mode, no parameter gradients
  Generator* generator = nullptr;     ///< trainable, for data-free methods
  BatchSource* train_data = nullptr;  ///< only for methods with uses_training_data
  RegularizerSet* regularizers = nullptr;
  torch::Device device;
  int64_t batch_size;
  torch::Generator& rng;
  DataShape data_shape;  ///< of the run's dataset: lets a method size extra modules in setup
  /// A fresh instance of the student's network (same plugin, options and shape, on `device`), for
  /// methods that train a second network of its topology (KR's aggregator). Register what it
  /// learns with add_module so checkpoints keep it. Empty outside the host's training loop.
  std::function<std::unique_ptr<Model>()> make_student;
  int64_t epoch = 0;  ///< 0-based epoch being trained
  int64_t step = 0;   ///< global iteration index, 0-based

  /// Whether the run's train.lr_schedule drives an optimizer's learning rate. A method decides
  /// per optimizer, as its reference code does (DAFL decays the student's only).
  enum class Schedule { Applies, Exempt };
  /// Registers an optimizer the method steps. The host owns it: it checkpoints it and, unless
  /// `schedule` is Exempt, applies the LR schedule to every param group (relative to the lr the
  /// group was created with).
  torch::optim::Optimizer& add_optimizer(const std::string& name,
                                         std::unique_ptr<torch::optim::Optimizer> optimizer,
                                         Schedule schedule = Schedule::Applies);
  /// Extra trainable state a method owns (e.g. a regressor); checkpointed with the run.
  void add_module(const std::string& name, std::shared_ptr<torch::nn::Module> module);

  /// The generator-stage terms of the run's regularizers (Σ weight·term; a zero scalar when the
  /// run has none) on a generated batch x = G(z), kept with its graph, and both networks'
  /// outputs on it. Each unweighted term's value goes into `metrics` as "reg_<name>".
  torch::Tensor generator_terms(const torch::Tensor& x, const ModelOutput& teacher,
                                const ModelOutput& student, StepMetrics& metrics);
  /// The student-stage terms for a student step on batch x. x and the teacher's outputs are
  /// detached here, so the terms train the student only; `discrepancy` is the distance the
  /// method trains with (DFAD: mean L1). Logged like generator_terms.
  torch::Tensor student_terms(const torch::Tensor& x, const ModelOutput& teacher,
                              const Discrepancy& discrepancy, StepMetrics& metrics);

  struct NamedOptimizer {
    std::string name;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    std::vector<double> base_lrs;  ///< lr of each param group at registration
    Schedule schedule = Schedule::Applies;
  };
  std::vector<NamedOptimizer>& optimizers() { return optimizers_; }
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>& modules() {
    return modules_;
  }

 private:
  std::vector<NamedOptimizer> optimizers_;
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> modules_;
};

/// What a method needs; the host checks the experiment against it before any training.
struct MethodTraits {
  bool needs_teacher = false;
  bool needs_generator = false;
  bool uses_training_data = false;  ///< false: the host never gives the method real samples
  bool accepts_regularizers = false;
  /// Trains on Batch::y_mix / y_weight too (dfkd::label_cross_entropy), so the run may use
  /// label-mixing augmentations (CutMix, Mixup).
  bool accepts_mixed_labels = false;
};

/// A stage a method trains once before the main epochs, e.g. FT's paraphraser. The host runs
/// it after setup on a fresh run (not again on resume: the checkpoint written after it holds its
/// result), logs its per-epoch means as "<name>/<metric>" with the stage's own epoch numbers,
/// and checks every value for NaN/inf like the main loop.
struct PretrainingStage {
  std::string name;
  int64_t epochs = 1;
  /// 0: one pass over the training data (size / batch_size iterations).
  int64_t iterations_per_epoch = 0;
  std::function<StepMetrics(TrainContext&)> iteration;
};

class Method {
 public:
  virtual ~Method();
  /// Called once per run before the first iteration: create and register optimizers.
  virtual void setup(TrainContext& ctx) = 0;
  /// Stages to train before the main loop, in order (called after setup). Default: none.
  virtual std::vector<PretrainingStage> pretraining(TrainContext& ctx);
  virtual StepMetrics iteration(TrainContext& ctx) = 0;
};

}  // namespace dfkd
