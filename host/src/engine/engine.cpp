#include "engine/engine.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "config/run_config.hpp"
#include "engine/checkpoint.hpp"
#include "engine/lr_schedule.hpp"
#include "engine/memory_format.hpp"
#include "engine/precision.hpp"
#include "engine/signals.hpp"
#include "engine/student_pruning.hpp"
#include "engine/training_data.hpp"
#include "store/artifact_files.hpp"
#include "util/hash.hpp"

namespace dfkd::host {
namespace {

using Clock = std::chrono::steady_clock;

struct Interrupted {};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Fraction of a network's convolution weights (its 4-D parameters) below 1 % of their largest
/// magnitude: how sparse training left it (Liu et al. compare it across methods). Negative when
/// the network has no convolution.
double near_zero_conv_weights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> w;
  for (const auto& p : module.parameters())
    if (p.dim() == 4) w.push_back(p.detach().abs().flatten());
  if (w.empty()) return -1;
  const auto all = torch::cat(w);
  return all.lt(0.01 * all.max()).to(torch::kFloat64).mean().item<double>();
}

void freeze(Model& m) {
  m.module().eval();
  for (auto& p : m.module().parameters()) p.set_requires_grad(false);
}

/// Accuracy (%) and mean cross-entropy on one split; no autograd anywhere.
std::pair<double, double> evaluate(Model& model, const Split& test, int64_t batch_size,
                                   const torch::Device& device) {
  torch::InferenceMode guard;
  model.module().eval();
  const int64_t n = test.x.size(0);
  double loss = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < n; i += batch_size) {
    const int64_t b = std::min(batch_size, n - i);
    auto x = test.x.narrow(0, i, b).to(device);
    auto y = test.y.narrow(0, i, b).to(device);
    auto logits = model.forward(x).logits;
    loss += torch::nn::functional::cross_entropy(
                logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  return {100.0 * static_cast<double>(correct) / static_cast<double>(n),
          loss / static_cast<double>(n)};
}

bool maximised(const std::string& key) {
  return key.find("accuracy") != std::string::npos;
}

std::vector<MetricSummary> summarise(const ResultsStore& store, const std::string& run_id) {
  std::vector<MetricSummary> out;
  for (const auto& key : store.metric_keys(run_id)) {
    const auto series = store.metric_series(run_id, key);
    if (series.empty()) continue;
    MetricSummary s;
    s.key = key;
    s.mode = maximised(key) ? "max" : "min";
    s.final_value = series.back().value;
    s.best_value = series.front().value;
    s.best_epoch = series.front().epoch;
    for (const auto& p : series) {
      const bool better = s.mode == "max" ? p.value > s.best_value : p.value < s.best_value;
      if (better) {
        s.best_value = p.value;
        s.best_epoch = p.epoch;
      }
    }
    out.push_back(s);
  }
  return out;
}

/// Publishes a finished file as the run's immutable artifact of `kind` and records it.
void record_artifact(ResultsStore& store, const RunRecord& run, const std::string& kind,
                     const std::filesystem::path& pending, const std::filesystem::path& dir) {
  const auto published = publish_artifact(pending, dir, kind, pending.extension().string());
  ArtifactRecord a;
  a.artifact_id = random_id();
  a.run_id = run.run_id;
  a.kind = kind;
  a.path = std::filesystem::relative(published.path, store.path().parent_path()).string();
  a.sha256 = published.sha256;
  a.bytes = published.bytes;
  store.add_artifact(a);
}

/// The completed run `key` that a run reads (as its teacher, or its init_from weights).
RunRecord completed_input(const ResultsStore& store, const std::string& key, const char* role) {
  auto rec = store.find_run_by_key(key);
  if (!rec || rec->status != RunStatus::Completed)
    throw std::runtime_error(
        fmt::format("{} run {} is not completed; train it first (dfkd run plans the runs a run "
                    "reads before it)",
                    role, key.substr(0, 12)));
  return *rec;
}

/// The newest attempt's trained weights, checked against their sha256; older attempts' files
/// stay for the runs that learned from them.
std::pair<ArtifactRecord, std::filesystem::path> trained_model_file(const ResultsStore& store,
                                                                    const RunRecord& run) {
  const auto arts = store.artifacts(run.run_id, "model");
  if (arts.empty())
    throw std::runtime_error(fmt::format("run {} ({} {}) has no trained-model artifact", run.run_id,
                                         run.row, run.column));
  const auto& art = arts.back();
  auto file = store.artifact_file(art);
  verify_artifact(file, art.sha256,
                  fmt::format("the trained model of run {} ({} {})", run.run_id.substr(0, 12),
                              run.row.empty() ? run.role : run.row, run.column));
  return {art, std::move(file)};
}

}  // namespace

Engine::Engine(const PluginHost& plugins, ResultsStore& store, EngineOptions options)
    : plugins_(plugins), store_(store), options_(std::move(options)), datasets_(plugins) {}

std::filesystem::path Engine::artifact_dir(const RunRecord& run) const {
  return store_.artifact_root() / run.run_key;
}

RunOutcome Engine::execute(const RunRecord& run) {
  const auto t0 = Clock::now();
  try {
    return train(run);
  } catch (const Interrupted&) {
    last_error_ = fmt::format(
        "interrupted by signal {} ({}) after epoch {}; the last epoch checkpoint is "
        "kept and a rerun resumes from it",
        interrupt_signal(), strsignal(interrupt_signal()),
        store_.find_run(run.run_id)->epochs_done);
    store_.end_run(run.run_id, RunStatus::Killed, last_error_, seconds_since(t0));
    return RunOutcome::Killed;
  } catch (const c10::Error& e) {
    last_error_ = e.what_without_backtrace();
  } catch (const std::exception& e) {
    last_error_ = e.what();
  }
  store_.end_run(run.run_id, RunStatus::Failed, last_error_, seconds_since(t0));
  return RunOutcome::Failed;
}

std::unique_ptr<Model> load_trained_model(const PluginHost& plugins, DatasetCache& datasets,
                                          const ResultsStore& store, const RunRecord& run,
                                          const torch::Device& device, ArtifactRecord* used) {
  const auto config = run.config.get<RunConfig>();
  const auto& shape_source = datasets.get(config.dataset);
  auto model = build_model(plugins, config.model, shape_source.shape());
  const auto [art, file] = trained_model_file(store, run);
  model->module().to(device);
  load_weights(file, model->module(), device);
  if (used) *used = art;
  return model;
}

std::map<std::string, double> Engine::run_epoch(
    const RunRecord& run, TrainContext& ctx, int64_t epoch, int64_t iters,
    const std::function<StepMetrics(TrainContext&)>& iteration, const std::string& where,
    bool bf16) {
  std::map<std::string, double> sums;
  for (int64_t i = 0; i < iters; ++i) {
    if (interrupt_requested()) throw Interrupted{};
    // Long epochs (paper profile) must not look like a dead claimant to other processes.
    if (seconds_since(last_heartbeat_) > 20) {
      store_.heartbeat(run.run_id);
      last_heartbeat_ = Clock::now();
    }
    ctx.epoch = epoch;
    ctx.step = epoch * iters + i;
    const bool main_loop = where.empty();
    StepMetrics step_metrics;
    const auto ti = Clock::now();
    const Bf16Autocast autocast(bf16);
    if (main_loop && ctx.step == options_.profile_step && options_.on_op_profile) {
      const auto profile = profile_ops([&] { step_metrics = iteration(ctx); });
      options_.on_op_profile(run, profile);
    } else {
      step_metrics = iteration(ctx);
    }
    if (main_loop && options_.on_iteration) options_.on_iteration(run, ctx.step, seconds_since(ti));
    if (main_loop && options_.on_progress)
      options_.on_progress({run, epoch + 1, i + 1, iters, step_metrics});
    for (const auto& [key, value] : step_metrics) {
      if (!std::isfinite(value))
        throw NonFiniteError(
            fmt::format("non-finite {} = {}{} at epoch {}, iteration {} of {} (step {} of "
                        "the run, counting from 1); lower the learning rates or check the "
                        "method's loss",
                        key, std::isnan(value) ? "NaN" : (value > 0 ? "+inf" : "-inf"), where,
                        epoch + 1, i + 1, iters, ctx.step + 1));
      sums[key] += value;
    }
  }
  for (auto& [key, sum] : sums) sum /= static_cast<double>(iters);
  return sums;
}

void Engine::pretrain(const RunRecord& run, const PretrainingStage& stage, TrainContext& ctx,
                      const BatchSource* batches, uint64_t seed, bool bf16) {
  int64_t iters = stage.iterations_per_epoch;
  if (iters == 0) {
    if (!batches)
      throw ConfigError(
          fmt::format("method '{}': pre-training stage '{}' asks for one pass over the "
                      "training data, but the method uses none",
                      run.method, stage.name));
    iters = std::max<int64_t>(1, batches->size() / ctx.batch_size);
  }
  for (int64_t epoch = 0; epoch < stage.epochs; ++epoch) {
    const auto te = Clock::now();
    ctx.rng.set_current_seed(
        stream_seed(seed, fmt::format("pretrain/{}/epoch/{}", stage.name, epoch)) >> 1);
    std::map<std::string, double> metrics;
    for (const auto& [key, mean] : run_epoch(run, ctx, epoch, iters, stage.iteration,
                                             " in pre-training stage '" + stage.name + "'", bf16))
      metrics[stage.name + "/" + key] = mean;
    metrics[stage.name + "/epoch_seconds"] = seconds_since(te);
    store_.log_stage_epoch(run.run_id, epoch + 1, metrics);
  }
}

/// One training attempt: the run's config, its networks, method and data, and where its files go.
struct Engine::Session {
  Session(const RunRecord& r, RunConfig c, const std::filesystem::path& d)
      : run(r),
        config(std::move(c)),
        seed(static_cast<uint64_t>(config.seed)),
        dir(d),
        checkpoint(d / "checkpoint.pt") {}
  const RunRecord& run;
  const RunConfig config;
  const uint64_t seed;
  const std::filesystem::path dir, checkpoint;
  const Clock::time_point started = Clock::now();
  const Dataset* data = nullptr;
  DataShape shape;
  bool images = false;  ///< C x H x W inputs: convolutional networks, kept channels_last
  std::unique_ptr<Model> student, teacher;
  std::unique_ptr<Generator> generator;
  std::unique_ptr<Method> method;
  RegularizerSet regularizers;
  torch::Generator rng;
  std::unique_ptr<TrainContext> ctx;
  std::unique_ptr<ShuffledBatches> batches;
  int64_t iterations = 0;    ///< per epoch
  int64_t resumed_from = 0;  ///< epochs restored from a checkpoint at start

  StudentPruning pruning;  ///< inactive: nothing pruned
  TrainState state() { return {*student, generator.get(), *ctx, pruning.masks(), batches.get()}; }
};

RunOutcome Engine::train(const RunRecord& run) {
  const auto session = set_up(run);
  auto& s = *session;
  resume_or_pretrain(s);
  for (int64_t epoch = s.resumed_from; epoch < s.config.train.epochs; ++epoch)
    train_epoch(s, epoch);
  finish(s);
  return RunOutcome::Completed;
}

std::unique_ptr<Engine::Session> Engine::set_up(const RunRecord& run) {
  auto session = std::make_unique<Session>(run, run.config.get<RunConfig>(), artifact_dir(run));
  auto& s = *session;
  s.data = &datasets_.get(s.config.dataset);
  s.shape = s.data->shape();
  s.images = s.shape.input_shape.size() == 3;
  // The order matters: the student, the generator, then the teacher's model draw their initial
  // parameters in turn from the global generator build_networks seeds.
  build_networks(s);
  if (s.config.init_from) load_initial_weights(s);
  if (s.config.pruning) prune(s);
  if (s.config.teacher) load_teacher(s);
  s.method = build_method(plugins_, s.config.method);
  s.regularizers = build_regularizers(plugins_, s.config.regularizers);
  build_context(s);
  s.method->setup(*s.ctx);
  s.iterations = iterations_per_epoch(s);
  static bool warned_emulated_bf16 = false;  // once per process, not once per run
  if (uses_bf16(s.config.train.precision) && !warned_emulated_bf16 && !cpu_has_native_bf16()) {
    warned_emulated_bf16 = true;
    fmt::print(stderr,
               "dfkd: warning: train.precision bf16 on a CPU without AVX-512 BF16 or AMX: oneDNN "
               "emulates bfloat16 and is likely slower than fp32 here\n");
  }
  return session;
}

void Engine::build_networks(Session& s) {
  const auto& device = options_.device;
  // Parameter initialisation draws from LibTorch's global generator: seed it per run.
  torch::manual_seed(stream_seed(s.seed, "init") >> 1);
  s.student = build_model(plugins_, s.config.model, s.shape);
  s.student->module().to(device);
  if (s.images) use_channels_last(s.student->module());
  if (s.config.generator) {
    s.generator = build_generator(plugins_, *s.config.generator, s.shape);
    s.generator->module().to(device);
    if (s.images) use_channels_last(s.generator->module());
  }
}

void Engine::load_teacher(Session& s) {
  const auto trec = completed_input(store_, *s.config.teacher, "teacher");
  ArtifactRecord weights;
  s.teacher = load_trained_model(plugins_, datasets_, store_, trec, options_.device, &weights);
  // Pinned by content: a later forced retrain of the teacher adds a new file and cannot change
  // what this run is recorded to have learned from.
  store_.record_input(s.run.run_id, {"teacher", weights.artifact_id, weights.sha256});
  if (s.images) use_channels_last(s.teacher->module());
  freeze(*s.teacher);  // no parameter gradients: generator steps only need input gradients
}

/// A row's `init_from`: the student starts from another run's trained weights (a fine-tuning
/// phase), pinned by content like a teacher's. A resumed run's checkpoint replaces them.
void Engine::load_initial_weights(Session& s) {
  const auto [art, file] =
      trained_model_file(store_, completed_input(store_, *s.config.init_from, "init_from"));
  load_weights(file, s.student->module(), options_.device);
  if (s.images) use_channels_last(s.student->module());
  store_.record_input(s.run.run_id, {"init", art.artifact_id, art.sha256});
}

/// The row's pruner decides on the weights the run starts from; a resumed run reads the masks
/// back from its checkpoint instead (resume_or_pretrain).
void Engine::prune(Session& s) {
  const auto pruner = build_pruner(plugins_, *s.config.pruning);
  if (!s.pruning.start(*s.student, *pruner, s.shape.input_shape))
    throw ConfigError(fmt::format("pruning: '{}' found nothing to prune in model '{}'",
                                  s.config.pruning->plugin, s.config.model.plugin));
}

void Engine::build_context(Session& s) {
  const auto& traits =
      plugins_.get(PluginKind::Method, s.config.method.plugin).entry.info.method_traits;
  const int64_t batch = s.config.train.batch_size;
  s.rng = make_generator(s.seed, "train");
  s.ctx = std::make_unique<TrainContext>(*s.student, options_.device, batch, s.rng);
  s.ctx->teacher = s.teacher.get();
  s.ctx->generator = s.generator.get();
  s.ctx->regularizers = &s.regularizers;
  s.ctx->data_shape = s.shape;
  s.ctx->make_student = [this, &s] {
    auto model = build_model(plugins_, s.config.model, s.shape);
    model->module().to(options_.device);
    return model;
  };
  // The planner refuses these configs (planner/cells.cpp); a hand-edited store must not slip by.
  if (!s.config.augmentations.empty() && !traits.uses_training_data)
    throw ConfigError(
        fmt::format("augmentations: method '{}' trains on no real data", s.config.method.plugin));
  if (traits.uses_training_data) {
    s.batches = std::make_unique<ShuffledBatches>(
        *s.data, batch, options_.device, s.rng,
        build_augmentations(plugins_, s.config.augmentations, s.shape));
    s.ctx->train_data = s.batches.get();
  }
}

int64_t Engine::iterations_per_epoch(const Session& s) const {
  const int64_t iters = s.config.train.iterations_per_epoch;
  if (iters > 0) return iters;
  if (!s.batches)
    throw ConfigError(
        fmt::format("train.iterations_per_epoch: method '{}' uses no training data, so "
                    "an epoch has no natural length; set iterations_per_epoch > 0",
                    s.run.method));
  return std::max<int64_t>(1, s.batches->size() / s.config.train.batch_size);
}

void Engine::resume_or_pretrain(Session& s) {
  int64_t start = 0;
  last_heartbeat_ = Clock::now();
  if (std::filesystem::exists(s.checkpoint)) {
    std::vector<torch::nn::Module*> modules{&s.student->module()};
    if (s.generator) modules.push_back(&s.generator->module());
    for (auto& [name, module] : s.ctx->modules()) modules.push_back(module.get());
    const TensorLayouts layouts(modules);  // as a fresh run computes (the method's own modules too)
    start = load_checkpoint(s.checkpoint, s.state(), options_.device);
    layouts.restore();
  } else {
    // Pre-training stages belong to a fresh run only; the epoch-0 checkpoint after them means a
    // resumed run never repeats them.
    const auto stages = s.method->pretraining(*s.ctx);
    for (const auto& stage : stages)
      pretrain(s.run, stage, *s.ctx, s.batches.get(), s.seed, uses_bf16(s.config.train.precision));
    if (!stages.empty()) save_checkpoint(s.checkpoint, s.state(), 0);
  }
  store_.truncate_metrics(s.run.run_id, start);  // epochs after the checkpoint are redone
  s.resumed_from = start;
}

void Engine::train_epoch(Session& s, int64_t epoch) {
  const auto te = Clock::now();
  const int64_t epochs = s.config.train.epochs;
  const double factor = lr_factor(s.config.train.lr_schedule, epoch, epochs);
  apply_lr_factor(s.ctx->optimizers(), factor);
  // Each epoch's random stream depends only on (seed, epoch): a resumed run draws exactly
  // what an uninterrupted one would have.
  s.rng.set_current_seed(stream_seed(s.seed, fmt::format("train/epoch/{}", epoch)) >> 1);
  s.student->module().train();
  if (s.generator) s.generator->module().train();
  if (s.teacher) s.teacher->module().eval();

  auto metrics = run_epoch(
      s.run, *s.ctx, epoch, s.iterations,
      [&](TrainContext& c) {
        auto step = s.method->iteration(c);
        s.pruning.reapply(s.student->module());
        return step;
      },
      "", uses_bf16(s.config.train.precision));
  // test_* always; val_* beside it when the dataset holds out a validation split (the metric a
  // best-epoch selection reads without looking at the test split).
  std::vector<std::pair<std::string, const Split*>> splits{{"test", &s.data->test()}};
  const auto& val = s.data->validation();
  if (val.x.defined() && val.x.size(0) > 0) splits.emplace_back("val", &val);
  for (const auto& [prefix, split] : splits) {
    const auto [acc, loss] =
        evaluate(*s.student, *split, s.config.train.eval_batch_size, options_.device);
    if (!std::isfinite(loss))
      throw NonFiniteError(fmt::format(
          "non-finite {}_loss at epoch {}: the student's weights diverged", prefix, epoch + 1));
    metrics[prefix + "_accuracy"] = acc;
    metrics[prefix + "_loss"] = loss;
  }
  if (const double z = near_zero_conv_weights(s.student->module()); z >= 0)
    metrics["conv_weights_near_zero"] = z;
  s.pruning.add_metrics(s.student->module(), metrics);
  metrics["lr_factor"] = factor;
  metrics["epoch_seconds"] = seconds_since(te);
  // Metrics first: a crash between the two leaves the checkpoint one epoch behind, and the
  // resumed run re-does (and re-logs) that epoch instead of skipping it.
  store_.log_epoch(s.run.run_id, epoch + 1, (epoch + 1) * s.iterations, metrics);
  save_checkpoint(s.checkpoint, s.state(), epoch + 1);
  if (options_.on_epoch)
    options_.on_epoch(
        {s.run, epoch + 1, epochs, metrics, seconds_since(s.started), s.resumed_from});
}

void Engine::finish(Session& s) {
  // Final artifacts: the trained weights (teachers are loaded from these) and, for data-free
  // runs, a sample of what the generator makes, with the teacher's predictions on it.
  const auto model_file = s.dir / "model.pending.pt";
  save_weights(model_file, s.student->module());
  record_artifact(store_, s.run, "model", model_file, s.dir);
  if (s.generator && s.config.train.save_generated > 0) save_generated_sample(s);
  store_.complete_run(s.run.run_id, summarise(store_, s.run.run_id), seconds_since(s.started));
  // The epoch checkpoint has served its purpose; the model artifact remains.
  std::filesystem::remove(s.checkpoint);
}

void Engine::save_generated_sample(Session& s) {
  const int64_t n_samples = s.config.train.save_generated;
  torch::NoGradGuard no_grad;
  auto z = sample_latent(*s.generator, n_samples, s.rng, options_.device);
  auto x = s.generator->forward(z);
  auto pred =
      s.teacher ? s.teacher->forward(x).logits.argmax(1) : torch::zeros({n_samples}, torch::kLong);
  torch::serialize::OutputArchive a;
  a.write("x", x.cpu());
  a.write("teacher_pred", pred.cpu());
  const auto f = s.dir / "generated.pending.pt";
  a.save_to(f.string());
  record_artifact(store_, s.run, "generated", f, s.dir);
}

}  // namespace dfkd::host
