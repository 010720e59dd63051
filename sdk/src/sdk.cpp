// Out-of-line destructors (one home for each vtable) and the SDK's small value types.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "dfkd/sdk.hpp"

namespace dfkd {

Dataset::~Dataset() = default;
Model::~Model() = default;
Generator::~Generator() = default;
Regularizer::~Regularizer() = default;
Augmentation::~Augmentation() = default;
Pruner::~Pruner() = default;
Method::~Method() = default;
std::vector<PretrainingStage> Method::pretraining(TrainContext&) {
  return {};
}
BatchSource::~BatchSource() = default;
Registry::~Registry() = default;

Batch mix_labels(Batch batch, const torch::Tensor& perm, const torch::Tensor& weight) {
  if (batch.mixed())
    throw std::invalid_argument(
        "dfkd::mix_labels: the batch is already mixed; a run takes one mixing augmentation");
  const int64_t n = batch.y.size(0);
  if (perm.dim() != 1 || perm.size(0) != n)
    throw std::invalid_argument(fmt::format("dfkd::mix_labels: perm must have shape [{}], found {}",
                                            n, perm.sizes().vec()));
  batch.y_mix = batch.y.index_select(0, perm.to(batch.y.device()));
  batch.y_weight = weight.to(batch.y.device(), torch::kFloat).expand({n}).contiguous();
  return batch;
}

nlohmann::json Dataset::source() const {
  return nullptr;
}

torch::Tensor Dataset::augment(const torch::Tensor& batch, torch::Generator&) const {
  return batch;
}

const Split& Dataset::validation() const {
  static const Split none;
  return none;
}

const torch::Tensor& ModelOutput::feature(const std::string& name) const {
  auto it = features.find(name);
  if (it == features.end()) {
    std::vector<std::string> names;
    for (const auto& kv : features) names.push_back(kv.first);
    throw std::out_of_range(fmt::format("feature tap '{}' not found; this model exposes: {}", name,
                                        fmt::join(names, ", ")));
  }
  return it->second;
}

torch::Tensor sample_latent(Generator& generator, int64_t n, torch::Generator& rng,
                            const torch::Device& device) {
  auto z = torch::randn({n, generator.latent_dim()}, rng);
  return device.is_cpu() ? z : z.to(device);
}

const char* to_string(RegularizerStage stage) {
  return stage == RegularizerStage::Generator ? "generator" : "student";
}

torch::Tensor Regularizer::generator_term(const GeneratorStepInputs&) {
  throw std::logic_error("this regularizer has no generator-stage term");
}
torch::Tensor Regularizer::student_term(const StudentStepInputs&) {
  throw std::logic_error("this regularizer has no student-stage term");
}

RegularizerSet::RegularizerSet(std::vector<Entry> entries) : entries_(std::move(entries)) {}
RegularizerSet::RegularizerSet(RegularizerSet&&) noexcept = default;
RegularizerSet& RegularizerSet::operator=(RegularizerSet&&) noexcept = default;
RegularizerSet::~RegularizerSet() = default;

bool RegularizerSet::has(RegularizerStage stage) const {
  for (const auto& e : entries_)
    if (e.regularizer->stage() == stage) return true;
  return false;
}

namespace {
template <class Inputs, class Term>
torch::Tensor weighted_sum(std::vector<RegularizerSet::Entry>& entries, RegularizerStage stage,
                           const Inputs& in, std::map<std::string, double>& log, Term term) {
  torch::Tensor total;
  for (auto& e : entries) {
    if (e.regularizer->stage() != stage) continue;
    torch::Tensor t = term(*e.regularizer, in);
    log["reg_" + e.name] = t.item<double>();
    total = total.defined() ? total + e.weight * t : e.weight * t;
  }
  return total.defined() ? total : torch::zeros({}, in.x.options().requires_grad(false));
}
}  // namespace

torch::Tensor RegularizerSet::generator_loss(const GeneratorStepInputs& in,
                                             std::map<std::string, double>& log) {
  return weighted_sum(
      entries_, RegularizerStage::Generator, in, log,
      [](Regularizer& r, const GeneratorStepInputs& i) { return r.generator_term(i); });
}

torch::Tensor RegularizerSet::student_loss(const StudentStepInputs& in,
                                           std::map<std::string, double>& log) {
  return weighted_sum(entries_, RegularizerStage::Student, in, log,
                      [](Regularizer& r, const StudentStepInputs& i) { return r.student_term(i); });
}

TrainContext::TrainContext(Model& s, torch::Device d, int64_t b, torch::Generator& r)
    : student(s), device(d), batch_size(b), rng(r) {}
TrainContext::~TrainContext() = default;

torch::optim::Optimizer& TrainContext::add_optimizer(
    const std::string& name, std::unique_ptr<torch::optim::Optimizer> optimizer,
    Schedule schedule) {
  for (const auto& o : optimizers_)
    if (o.name == name)
      throw std::logic_error(fmt::format("optimizer '{}' registered twice", name));
  NamedOptimizer entry{name, std::move(optimizer), {}, schedule};
  for (auto& group : entry.optimizer->param_groups())
    entry.base_lrs.push_back(group.options().get_lr());
  optimizers_.push_back(std::move(entry));
  return *optimizers_.back().optimizer;
}

namespace {
torch::Tensor no_terms(const torch::Tensor& x) {
  return torch::zeros({}, x.options().requires_grad(false));
}
}  // namespace

torch::Tensor TrainContext::generator_terms(const torch::Tensor& x, const ModelOutput& teacher,
                                            const ModelOutput& student, StepMetrics& metrics) {
  if (!regularizers || !regularizers->has(RegularizerStage::Generator)) return no_terms(x);
  return regularizers->generator_loss({x, teacher, student}, metrics);
}

torch::Tensor TrainContext::student_terms(const torch::Tensor& x, const ModelOutput& teacher,
                                          const Discrepancy& discrepancy, StepMetrics& metrics) {
  if (!regularizers || !regularizers->has(RegularizerStage::Student)) return no_terms(x);
  ModelOutput teacher_const;
  teacher_const.logits = teacher.logits.detach();
  for (const auto& [name, f] : teacher.features) teacher_const.features[name] = f.detach();
  const torch::Tensor x_const = x.detach();
  return regularizers->student_loss(
      {x_const, teacher_const, student, discrepancy, rng, this->teacher, generator}, metrics);
}

void TrainContext::add_module(const std::string& name, std::shared_ptr<torch::nn::Module> module) {
  modules_.emplace_back(name, std::move(module));
}

const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::Model:
      return "model";
    case PluginKind::Dataset:
      return "dataset";
    case PluginKind::Generator:
      return "generator";
    case PluginKind::Regularizer:
      return "regularizer";
    case PluginKind::Method:
      return "method";
    case PluginKind::Augmentation:
      return "augmentation";
    case PluginKind::Pruner:
      return "pruner";
  }
  return "?";
}

const char* interface_id(PluginKind kind) {
  switch (kind) {
    case PluginKind::Model:
      return DFKD_DETAIL_IFACE_model;
    case PluginKind::Dataset:
      return DFKD_DETAIL_IFACE_dataset;
    case PluginKind::Generator:
      return DFKD_DETAIL_IFACE_generator;
    case PluginKind::Regularizer:
      return DFKD_DETAIL_IFACE_regularizer;
    case PluginKind::Method:
      return DFKD_DETAIL_IFACE_method;
    case PluginKind::Augmentation:
      return DFKD_DETAIL_IFACE_augmentation;
    case PluginKind::Pruner:
      return DFKD_DETAIL_IFACE_pruner;
  }
  return "?";
}

uint64_t stream_seed(uint64_t run_seed, std::string_view stream) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a offset basis
  for (unsigned char c : stream) h = (h ^ c) * 1099511628211ull;
  uint64_t x = run_seed ^ h;
  // splitmix64 finaliser: decorrelates nearby run seeds.
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

torch::Generator make_generator(uint64_t run_seed, std::string_view stream) {
  // Torch seeds are used as given; keep them in the positive int64 range for portability.
  return at::detail::createCPUGenerator(stream_seed(run_seed, stream) >> 1);
}

}  // namespace dfkd

namespace dfkd {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> parameters,
                                                        const OptimizerSettings& s) {
  if (s.kind == "sgd")
    return std::make_unique<torch::optim::SGD>(
        std::move(parameters),
        torch::optim::SGDOptions(s.lr).momentum(s.momentum).weight_decay(s.weight_decay));
  if (s.kind == "adam")
    return std::make_unique<torch::optim::Adam>(
        std::move(parameters),
        torch::optim::AdamOptions(s.lr).betas({s.beta1, s.beta2}).weight_decay(s.weight_decay));
  throw std::invalid_argument(
      fmt::format("make_optimizer: expected kind \"sgd\" or \"adam\", found \"{}\"", s.kind));
}

}  // namespace dfkd
