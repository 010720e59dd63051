#pragma once
/// Small pieces every method's iteration repeats, so a method plugin keeps only its own maths:
/// optimizer options by role, the forward passes of a data-driven distillation step, one optimizer
/// step, and the collapse metrics of data-free methods.
///
/// Example (a data-driven method's iteration):
///   auto f = dfkd::distill_forward(ctx, "kd");
///   auto ce = dfkd::label_cross_entropy(f.student.logits, f.batch);
///   const double loss = dfkd::optimizer_step(gamma * ce + ..., {student_opt_});
///   return {{"loss_student", loss}, {"train_accuracy", dfkd::batch_accuracy(f.student.logits,
///   f.batch)}};
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "dfkd/method.hpp"
#include "dfkd/optim.hpp"
#include "dfkd/options.hpp"

namespace dfkd {

/// Defaults of one optimizer: `dfkd::sgd(0.05, 0.9, 5e-4)`, `dfkd::adam(1e-3)`.
OptimizerSettings sgd(double lr, double momentum, double weight_decay);
OptimizerSettings adam(double lr, double beta1 = 0.9, double beta2 = 0.999);

/// The options of the optimizer that trains one role ("student", "generator", "paraphraser"),
/// declared and read under the same keys in every method, so experiment files read alike:
///   sgd_or_adam("student", ...): student_optimizer (sgd | adam), student_lr, student_momentum,
///                                student_weight_decay
///   adam("generator", ...):      generator_lr, generator_beta1, generator_beta2
///
/// Example:
///   const auto student = dfkd::OptimizerOptions::sgd_or_adam("student", dfkd::sgd(0.1, 0.9,
///   5e-4)); student.declare(info.options);                 // in info() settings_ =
///   student.read(options);             // in the constructor
class OptimizerOptions {
 public:
  /// `whose` names what the optimizer trains in the options' docs (default "the <role>").
  static OptimizerOptions sgd_or_adam(std::string role, OptimizerSettings defaults,
                                      std::string whose = {});
  /// Adam without weight decay: the generators of data-free methods.
  static OptimizerOptions adam(std::string role, OptimizerSettings defaults,
                               std::string whose = {});

  /// Appends this optimizer's option specs to a plugin's options.
  void declare(std::vector<OptionSpec>& options) const;
  /// The settings held by the run's resolved options.
  OptimizerSettings read(const Options& options) const;

 private:
  OptimizerOptions(std::string role, OptimizerSettings defaults, std::string whose,
                   bool kind_is_option);
  std::string key(const char* name) const { return role_ + "_" + name; }

  std::string role_;
  OptimizerSettings defaults_;
  std::string whose_;
  bool kind_is_option_;  ///< sgd_or_adam: "<role>_optimizer" chooses; adam: always Adam
};

/// Per-name means of the metrics of several steps, e.g. DFAD's k student steps per iteration.
class MetricMeans {
 public:
  void add(const StepMetrics& step);
  StepMetrics means() const;

 private:
  std::map<std::string, std::pair<double, int64_t>> sums_;  ///< name -> (sum, count)
};

/// A real batch with the frozen teacher's outputs on it (computed without autograd) and the
/// student's (with autograd, student in train mode).
struct DistillForward {
  Batch batch;
  ModelOutput teacher;
  ModelOutput student;
};
/// Draws the next training batch and runs both networks. `method` names the caller in the error
/// thrown when the context lacks a teacher or training data.
DistillForward distill_forward(TrainContext& ctx, const std::string& method);

/// The two optimizers of a data-free method, registered with the host as "student" (over the
/// student's parameters) and "generator" (over the generator's). Throws std::logic_error naming
/// `method` when the context has no teacher or no generator. `generator_schedule` says whether the
/// run's lr_schedule drives the generator's optimizer too (the student's always follows it).
struct DataFreeOptimizers {
  torch::optim::Optimizer* student = nullptr;
  torch::optim::Optimizer* generator = nullptr;
};
DataFreeOptimizers add_data_free_optimizers(
    TrainContext& ctx, const OptimizerSettings& student, const OptimizerSettings& generator,
    const std::string& method,
    TrainContext::Schedule generator_schedule = TrainContext::Schedule::Applies);

/// The outputs of `model` on two all-zero inputs of `shape`, in eval mode without autograd (the
/// training flag is restored): lets a method size modules it adds on top of feature taps.
ModelOutput probe_forward(Model& model, const DataShape& shape, const torch::Device& device);

/// `output.feature(tap)` with an error naming the method, the role ("student", "teacher") and the
/// taps the model has when it lacks `tap`.
const torch::Tensor& tap_of(const ModelOutput& output, const std::string& tap,
                            const std::string& method, const std::string& role);

/// zero_grad on every optimizer, loss.backward(), step every optimizer; returns loss.item().
double optimizer_step(const torch::Tensor& loss,
                      std::initializer_list<torch::optim::Optimizer*> optimizers);

/// Fraction of rows of logits [B, K] whose argmax equals labels [B].
double batch_accuracy(const torch::Tensor& logits, const torch::Tensor& labels);

/// Cross-entropy of logits [B, K] against the batch's labels, mean over the batch. On a mixed
/// batch (CutMix, Mixup) each sample's term is w·CE(y) + (1 − w)·CE(y_mix) with w = y_weight:
/// the reference CutMix loss λ·CE(y_A) + (1 − λ)·CE(y_B) when w is one λ for the batch.
torch::Tensor label_cross_entropy(const torch::Tensor& logits, const Batch& batch);

/// batch_accuracy against each sample's dominant label (y where y_weight ≥ 0.5, else y_mix).
double batch_accuracy(const torch::Tensor& logits, const Batch& batch);

/// Turns off requires_grad of a module's parameters for one scope and restores each flag after:
/// for passes whose parameter gradients would be thrown away (the student inside a generator
/// step), so autograd computes only the input gradients.
class FrozenParameters {
 public:
  explicit FrozenParameters(torch::nn::Module& module);
  ~FrozenParameters();
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<torch::Tensor> params_;
  std::vector<bool> flags_;
};

/// Collapse monitoring for data-free methods, from the teacher's logits on a generated batch:
/// "teacher_pred_entropy" (entropy in nats of the histogram of argmax classes: ln K when the
/// generator covers every class evenly, 0 when every sample gets one class) and
/// "teacher_top_class_fraction" (share of the batch in the most predicted class).
StepMetrics collapse_metrics(const torch::Tensor& teacher_logits);

}  // namespace dfkd
