#include "planner/run_matrix.hpp"

#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>

#include "engine/engine.hpp"
#include "engine/environment.hpp"
#include "engine/signals.hpp"

namespace dfkd::host {
namespace {

std::string label(const RunRecord& r) {
  return fmt::format("{} / {} / seed {}", r.row.empty() ? r.role : r.row, r.column, r.seed);
}

std::string format_duration(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
  return fmt::format("{:.0f}h{:02.0f}m", std::floor(s / 3600), std::fmod(s / 60, 60));
}

/// One line per epoch when piped; a single updating line on a terminal.
class Progress {
 public:
  explicit Progress(std::FILE* out) : out_(out), tty_(isatty(fileno(out)) != 0) {}
  void epoch(const EpochReport& r, int index, int total) {
    const double per_epoch = r.elapsed_seconds / static_cast<double>(r.epoch - r.resumed_from);
    const double eta = per_epoch * static_cast<double>(r.epochs - r.epoch);
    std::string loss;
    for (const char* key : {"loss_student", "loss_generator"}) {
      auto it = r.metrics.find(key);
      if (it != r.metrics.end()) loss += fmt::format(" {} {:.4g}", key, it->second);
    }
    const auto line = fmt::format("[{}/{}] {}  epoch {}/{}{}  test_acc {:.2f}%  ETA {}", index, total,
                                  label(r.run), r.epoch, r.epochs, loss,
                                  r.metrics.at("test_accuracy"), format_duration(eta));
    if (tty_) {
      const int width = 28;
      const int filled = static_cast<int>(width * r.epoch / r.epochs);
      fmt::print(out_, "\r\033[K{} [{}{}]", line, std::string(filled, '#'), std::string(width - filled, '.'));
    } else {
      fmt::print(out_, "{}\n", line);
    }
    std::fflush(out_);
  }
  void done(const std::string& text) {
    fmt::print(out_, "{}{}\n", tty_ ? "\r\033[K" : "", text);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  bool tty_;
};

/// The plugins a run config names, as the store records them.
std::vector<PluginRecord> plugins_of(const nlohmann::json& config, const PluginHost& plugins) {
  std::vector<PluginRecord> out;
  auto add = [&](PluginKind kind, const nlohmann::json& spec) {
    if (spec.is_null()) return;
    const auto& p = plugins.get(kind, spec.at("plugin").get<std::string>());
    out.push_back({to_string(kind), p.entry.name, p.entry.version, p.file_sha256, p.file.string(),
                   p.interface_id});
  };
  add(PluginKind::Dataset, config.at("dataset"));
  add(PluginKind::Model, config.at("model"));
  add(PluginKind::Method, config.at("method"));
  add(PluginKind::Generator, config.at("generator"));
  for (const auto& r : config.at("regularizers")) add(PluginKind::Regularizer, r);
  return out;
}

}  // namespace

RunMatrixSummary run_matrix(const Experiment& exp, const std::vector<CellRun>& cells,
                            const PluginHost& plugins, ResultsStore& store,
                            const RunMatrixOptions& opt, std::FILE* out) {
  RunMatrixSummary summary;
  store.upsert_experiment(exp.name, exp.title, exp.source);

  // Plan: every cell becomes (or finds) a run keyed by its canonical config.
  std::vector<RunRecord> runs;
  for (const auto& c : cells) {
    RunPlan plan{c.run_key, exp.name, c.row, c.column, c.seed, exp.profile, c.role, c.method,
                 c.parent_run_key, c.config};
    auto rec = store.plan_run(plan);
    if (!c.row.empty())
      store.link_cell({exp.name, exp.profile, c.row, c.column, c.seed, c.run_key});
    rec.row = c.row.empty() ? rec.row : c.row;  // label by this experiment's row names
    runs.push_back(rec);
  }
  summary.planned = static_cast<int>(runs.size());

  if (opt.dry_run) {
    fmt::print(out, "Plan for {} (profile {}): {} runs\n", exp.name, exp.profile, runs.size());
    for (const auto& r : runs) {
      const bool done = r.status == RunStatus::Completed && !opt.force;
      fmt::print(out, "  {:<10} {:<34} {:<10} {}\n", r.run_key.substr(0, 10), label(r),
                 done ? "cached" : (opt.force && r.status == RunStatus::Completed ? "rerun" : to_string(r.status)),
                 fmt::format("{} epochs x {} it/epoch, method {}", r.config["train"]["epochs"].get<int64_t>(),
                             r.config["train"]["iterations_per_epoch"].get<int64_t>(), r.method));
    }
    return summary;
  }

  const int threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  torch::set_num_threads(threads);
  const auto device = resolve_device(opt.device);
  const auto env_id = store.ensure_environment(probe_environment(device.str(), threads));
  install_interrupt_handlers();

  Progress progress(out);
  int index = 0;
  const int total = static_cast<int>(runs.size());
  Engine engine(plugins, store,
                EngineOptions{device, env_id, [&](const EpochReport& r) { progress.epoch(r, index, total); }});
  for (const auto& planned : runs) {
    ++index;
    auto current = store.find_run_by_key(planned.run_key);
    RunRecord rec = current ? *current : planned;
    rec.row = planned.row;
    if (rec.status == RunStatus::Completed) {
      if (!opt.force) {
        ++summary.cached;
        progress.done(fmt::format("[{}/{}] {}  cached ({:.2f}% {})", index, total, label(rec),
                                  [&] {
                                    for (const auto& s : store.summaries(rec.run_id))
                                      if (s.key == exp.metric.key) return s.final_value;
                                    return std::nan("");
                                  }(),
                                  exp.metric.key));
        continue;
      }
      store.reset_run(rec.run_id);
      std::filesystem::remove_all(engine.artifact_dir(rec));
    }
    if (!rec.parent_run_id.empty()) {
      auto parent = store.find_run(rec.parent_run_id);
      if (!parent || parent->status != RunStatus::Completed) {
        ++summary.skipped;
        progress.done(fmt::format("[{}/{}] {}  skipped: its teacher did not complete", index, total, label(rec)));
        continue;
      }
    }
    if (!store.claim_run(rec.run_id, env_id)) {
      ++summary.skipped;
      progress.done(fmt::format("[{}/{}] {}  skipped: another dfkd process is running it", index, total, label(rec)));
      continue;
    }
    store.record_plugins(rec.run_id, plugins_of(rec.config, plugins));
    auto claimed = *store.find_run(rec.run_id);
    claimed.row = rec.row;
    const auto t0 = std::chrono::steady_clock::now();
    const auto outcome = engine.execute(claimed);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (outcome == RunOutcome::Completed) {
      ++summary.completed;
      double acc = std::nan("");
      for (const auto& s : store.summaries(rec.run_id))
        if (s.key == exp.metric.key) acc = s.final_value;
      progress.done(fmt::format("[{}/{}] {}  completed in {}: {} {:.2f}", index, total, label(rec),
                                format_duration(secs), exp.metric.key, acc));
    } else if (outcome == RunOutcome::Killed) {
      summary.interrupted = true;
      progress.done(fmt::format("[{}/{}] {}  killed: {}", index, total, label(rec), engine.last_error()));
      break;
    } else {
      ++summary.failed;
      progress.done(fmt::format("[{}/{}] {}  FAILED: {}", index, total, label(rec), engine.last_error()));
    }
  }
  return summary;
}

}  // namespace dfkd::host
