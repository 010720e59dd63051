#include "dfkd/training.hpp"

#include "dfkd/errors.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace dfkd {

OptimizerSettings sgd(double lr, double momentum, double weight_decay) {
  OptimizerSettings s;
  s.kind = "sgd";
  s.lr = lr;
  s.momentum = momentum;
  s.weight_decay = weight_decay;
  return s;
}

OptimizerSettings adam(double lr, double beta1, double beta2) {
  OptimizerSettings s;
  s.kind = "adam";
  s.lr = lr;
  s.momentum = 0.0;
  s.weight_decay = 0.0;
  s.beta1 = beta1;
  s.beta2 = beta2;
  return s;
}

OptimizerOptions::OptimizerOptions(std::string role, OptimizerSettings defaults, std::string whose,
                                   bool kind_is_option)
    : role_(std::move(role)),
      defaults_(std::move(defaults)),
      whose_(whose.empty() ? "the " + role_ : std::move(whose)),
      kind_is_option_(kind_is_option) {}

OptimizerOptions OptimizerOptions::sgd_or_adam(std::string role, OptimizerSettings defaults,
                                               std::string whose) {
  return OptimizerOptions(std::move(role), std::move(defaults), std::move(whose), true);
}

OptimizerOptions OptimizerOptions::adam(std::string role, OptimizerSettings defaults,
                                        std::string whose) {
  defaults.kind = "adam";
  return OptimizerOptions(std::move(role), std::move(defaults), std::move(whose), false);
}

void OptimizerOptions::declare(std::vector<OptionSpec>& options) const {
  const std::string& whose = whose_;
  if (kind_is_option_) {
    options.push_back(
        option_string(key("optimizer"), defaults_.kind, "optimizer of " + whose, {"sgd", "adam"}));
  }
  options.push_back(
      option_real(key("lr"), defaults_.lr,
                  std::string(kind_is_option_ ? "" : "Adam ") + "learning rate of " + whose)
          .greater_than(0));
  if (kind_is_option_) {
    options.push_back(option_real(key("momentum"), defaults_.momentum,
                                  "SGD momentum of " + whose + " (unused by adam)")
                          .at_least(0)
                          .less_than(1));
    options.push_back(
        option_real(key("weight_decay"), defaults_.weight_decay, "L2 weight decay of " + whose)
            .at_least(0));
  } else {
    options.push_back(option_real(key("beta1"), defaults_.beta1, "Adam beta1 of " + whose)
                          .at_least(0)
                          .less_than(1));
    options.push_back(option_real(key("beta2"), defaults_.beta2, "Adam beta2 of " + whose)
                          .at_least(0)
                          .less_than(1));
  }
}

OptimizerSettings OptimizerOptions::read(const Options& o) const {
  OptimizerSettings s = defaults_;
  s.lr = o.real(key("lr"));
  if (kind_is_option_) {
    s.kind = o.string(key("optimizer"));
    s.momentum = o.real(key("momentum"));
    s.weight_decay = o.real(key("weight_decay"));
  } else {
    s.beta1 = o.real(key("beta1"));
    s.beta2 = o.real(key("beta2"));
  }
  return s;
}

void MetricMeans::add(const StepMetrics& step) {
  for (const auto& [name, value] : step) {
    auto& [sum, count] = sums_[name];
    sum += value;
    ++count;
  }
}

StepMetrics MetricMeans::means() const {
  StepMetrics out;
  for (const auto& [name, sum_count] : sums_)
    out[name] = sum_count.first / static_cast<double>(sum_count.second);
  return out;
}

DistillForward distill_forward(TrainContext& ctx, const std::string& method) {
  if (!ctx.teacher || !ctx.train_data)
    throw std::logic_error(
        fmt::format("{}: iteration: expected a teacher and training data, found {}", method,
                    !ctx.teacher ? "no teacher" : "no training data"));
  // The host switches to eval mode for evaluation; BN must use batch statistics here.
  ctx.student.module().train();
  DistillForward f;
  f.batch = ctx.train_data->next();
  {
    torch::NoGradGuard no_grad;  // the teacher is frozen: its outputs are constants
    f.teacher = ctx.teacher->forward(f.batch.x);
  }
  f.student = ctx.student.forward(f.batch.x);
  return f;
}

DataFreeOptimizers add_data_free_optimizers(TrainContext& ctx, const OptimizerSettings& student,
                                            const OptimizerSettings& generator,
                                            const std::string& method,
                                            TrainContext::Schedule generator_schedule) {
  if (!ctx.teacher || !ctx.generator)
    throw std::logic_error(
        fmt::format("{}: setup: expected a teacher and a generator, found none", method));
  DataFreeOptimizers o;
  o.student =
      &ctx.add_optimizer("student", make_optimizer(ctx.student.module().parameters(), student));
  o.generator = &ctx.add_optimizer("generator",
                                   make_optimizer(ctx.generator->module().parameters(), generator),
                                   generator_schedule);
  return o;
}

ModelOutput probe_forward(Model& model, const DataShape& shape, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.module().is_training();
  model.module().eval();
  std::vector<int64_t> sizes{2};
  sizes.insert(sizes.end(), shape.input_shape.begin(), shape.input_shape.end());
  ModelOutput out = model.forward(torch::zeros(sizes, torch::TensorOptions().device(device)));
  model.module().train(was_training);
  return out;
}

const torch::Tensor& tap_of(const ModelOutput& output, const std::string& tap,
                            const std::string& method, const std::string& role) {
  try {
    return output.feature(tap);
  } catch (const std::out_of_range& e) {
    throw ConfigError(
        fmt::format("{}: the {} network: {}; choose the method's tap options "
                    "among them",
                    method, role, e.what()));
  }
}

double optimizer_step(const torch::Tensor& loss,
                      std::initializer_list<torch::optim::Optimizer*> optimizers) {
  for (auto* o : optimizers) o->zero_grad();
  loss.backward();
  for (auto* o : optimizers) o->step();
  return loss.item<double>();
}

double batch_accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  return logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

torch::Tensor label_cross_entropy(const torch::Tensor& logits, const Batch& batch) {
  namespace F = torch::nn::functional;
  if (!batch.mixed()) return F::cross_entropy(logits, batch.y);
  const auto none = F::CrossEntropyFuncOptions().reduction(torch::kNone);
  const auto w = batch.y_weight.to(logits.scalar_type());
  return (w * F::cross_entropy(logits, batch.y, none) +
          (1 - w) * F::cross_entropy(logits, batch.y_mix, none))
      .mean();
}

double batch_accuracy(const torch::Tensor& logits, const Batch& batch) {
  if (!batch.mixed()) return batch_accuracy(logits, batch.y);
  torch::NoGradGuard no_grad;
  return batch_accuracy(logits, torch::where(batch.y_weight >= 0.5, batch.y, batch.y_mix));
}

FrozenParameters::FrozenParameters(torch::nn::Module& module) : params_(module.parameters()) {
  for (auto& p : params_) {
    flags_.push_back(p.requires_grad());
    p.requires_grad_(false);
  }
}

FrozenParameters::~FrozenParameters() {
  for (size_t i = 0; i < params_.size(); ++i) params_[i].requires_grad_(flags_[i]);
}

StepMetrics collapse_metrics(const torch::Tensor& teacher_logits) {
  torch::NoGradGuard no_grad;
  const int64_t classes = teacher_logits.size(1);
  auto counts = torch::bincount(teacher_logits.argmax(1).cpu(), {}, classes).to(torch::kFloat64);
  auto p = counts / counts.sum();
  // xlogy gives 0 * log 0 = 0 for empty classes.
  return {{"teacher_pred_entropy", -torch::xlogy(p, p).sum().item<double>()},
          {"teacher_top_class_fraction", p.max().item<double>()}};
}

}  // namespace dfkd
