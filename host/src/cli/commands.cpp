#include "cli/commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "config/experiment.hpp"
#include "config/run_config.hpp"
#include "dfkd/errors.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "planner/cost_estimate.hpp"
#include "planner/definitions.hpp"
#include "planner/progress.hpp"
#include "planner/run_matrix.hpp"
#include "report/model_costs.hpp"
#include "report/plot.hpp"
#include "report/site.hpp"
#include "report/table.hpp"
#include "slurm/sweep_worker.hpp"
#include "store/results_store.hpp"

namespace dfkd::cli {
namespace {

namespace fs = std::filesystem;
using host::ResultsStore;

bool looks_like_file(const std::string& s) {
  return s.size() > 5 && s.substr(s.size() - 5) == ".json";
}

/// The file to give `dfkd run` for an experiment named on the command line: the file itself, the
/// project's experiments/NAME.json, or else the file the store says the definition came from.
std::string source_hint(const std::string& experiment, const ResultsStore& store) {
  if (looks_like_file(experiment)) return experiment;
  const auto in_project = fmt::format("experiments/{}.json", experiment);
  if (fs::exists(in_project)) return in_project;
  const auto stored = store.experiment_source_file(experiment);
  return !stored.empty() && fs::exists(stored) ? stored : in_project;
}

/// A name reads the store's definition, which an ingested archive may have brought as it was
/// then: when the experiment's file here defines it otherwise, the same runs read differently
/// (another selection, other rows), so say so and how to read the file's.
void warn_if_file_differs(const std::string& name, const nlohmann::json& stored,
                          const ResultsStore& store) {
  static std::set<std::string> said;  // once per experiment (dfkd report resolves it per profile)
  const auto file = source_hint(name, store);
  std::error_code ec;
  if (!fs::exists(file, ec) || !said.insert(name).second) return;
  try {
    const auto loaded = host::load_experiment(file, "");
    if (loaded.name != name) return;  // ./experiments/NAME.json may define another experiment
    const auto& here = loaded.source;
    if (here == stored) return;
    fmt::print(stderr,
               "dfkd: note: {} holds another definition of '{}' than {} ({}); this reads the "
               "stored one, `{}` in place of the name reads the file's\n",
               store.path().string(), name, file, host::describe_definition_change(stored, here),
               file);
  } catch (const std::exception&) {
    // A file that does not load says why when it is named; the stored definition is read here.
  }
}

/// EXPERIMENT is a JSON file or the name of an experiment already in the store.
host::Experiment resolve_experiment(const std::string& what, const std::string& profile,
                                    const ResultsStore* store) {
  if (looks_like_file(what) || fs::exists(what)) return host::load_experiment(what, profile);
  if (store) {
    if (auto def = store->experiment_definition(what)) {
      warn_if_file_differs(what, *def, *store);
      return host::parse_experiment(*def, profile, what);
    }
    std::string known;
    for (const auto& e : store->experiments()) known += (known.empty() ? "" : ", ") + e;
    throw ConfigError(
        fmt::format("'{}' is neither a JSON file nor an experiment in {}; experiments "
                    "there: {}",
                    what, store->path().string(), known.empty() ? "none" : known));
  }
  throw ConfigError(fmt::format("'{}': no such experiment file", what));
}

/// One experiment's cells for `dfkd status`.
struct StatusCells {
  std::string experiment;
  std::vector<host::CellRecord> cells;
  /// A JSON file's cells as they would be planned (run_key -> labels and config): a cell that no
  /// `dfkd run` has planned yet still gets a cost estimate.
  std::map<std::string, host::RunRecord> as_planned;
};

/// The cells `dfkd status` lists, per experiment. A JSON file, or a name with --profile, lists
/// every cell of the profile (from the file, or the definition the store keeps), including cells
/// no `dfkd run` has planned yet; a name alone, or none, lists the cells the store knows.
std::vector<StatusCells> status_cells(const ResultsStore& store, const ReportArgs& args) {
  std::vector<StatusCells> experiments;
  const bool file =
      !args.experiment.empty() && (looks_like_file(args.experiment) || fs::exists(args.experiment));
  if (file || (!args.experiment.empty() && !args.profile.empty())) {
    auto plugins = load_plugins();
    auto exp = file ? host::load_experiment(args.experiment, args.profile)
                    : resolve_experiment(args.experiment, args.profile, &store);
    StatusCells status{exp.name, {}, {}};
    const auto cells = host::expand_cells(exp, *plugins, {});
    for (const auto& c : cells)
      if (!c.row.empty())
        status.cells.push_back({exp.name, exp.profile, c.row, c.column, c.seed, c.run_key});
    // As --dry-run sees them: the labels and config a cell's run would be planned with.
    for (auto& run : host::preview_runs(exp, cells, nullptr))
      status.as_planned.emplace(run.run_key, std::move(run));
    experiments.push_back(std::move(status));
    return experiments;
  }
  for (const auto& name :
       args.experiment.empty() ? store.experiments() : std::vector<std::string>{args.experiment}) {
    auto cells = store.cells(name, args.profile);
    // Rows in the experiment's (table) order, not alphabetically.
    std::map<std::string, size_t> order;
    if (auto def = store.experiment_definition(name); def && def->contains("rows"))
      for (const auto& r : def->at("rows"))
        if (r.contains("name")) order.emplace(r.at("name").get<std::string>(), order.size());
    std::stable_sort(cells.begin(), cells.end(), [&](const auto& a, const auto& b) {
      const auto ra = order.count(a.row) ? order[a.row] : order.size();
      const auto rb = order.count(b.row) ? order[b.row] : order.size();
      return std::tie(a.profile, ra, a.column, a.seed) < std::tie(b.profile, rb, b.column, b.seed);
    });
    experiments.push_back({name, std::move(cells), {}});
  }
  return experiments;
}

/// What a running or failed run's status line adds: progress and ETA, or the error.
std::string status_detail(const ResultsStore& store, const host::RunRecord& run) {
  if (run.status == host::RunStatus::Failed || run.status == host::RunStatus::Killed)
    return "  " + run.error;
  if (run.status != host::RunStatus::Running) return "";
  const auto epochs = run.config.get<host::RunConfig>().train.epochs;
  std::string extra = fmt::format("  epoch {}/{}, heartbeat {:.0f}s ago{}", run.epochs_done, epochs,
                                  run.heartbeat_age_seconds,
                                  run.heartbeat_age_seconds > ResultsStore::kStaleHeartbeatSeconds
                                      ? " (stale: its process died; the next "
                                        "`dfkd run` reclaims it)"
                                      : "");
  if (run.epochs_done > 0) {
    auto series = store.metric_series(run.run_id, "epoch_seconds");
    double sum = 0;
    for (const auto& p : series) sum += p.value;
    if (!series.empty())
      extra += fmt::format(", ETA {}",
                           host::format_duration(sum / series.size() * (epochs - run.epochs_done)));
  }
  return extra;
}

/// --summary: one line per profile, row and column, in the order of the cells.
struct CellSummary {
  std::string profile, row, column;
  std::map<std::string, int> states;  ///< state -> seeds
  int seeds = 0;
};

void print_summary(const std::vector<CellSummary>& cells, size_t profile_width, size_t row_width,
                   size_t column_width) {
  for (const auto& c : cells) {
    const auto done = c.states.count("completed") ? c.states.at("completed") : 0;
    std::string rest;
    for (const auto& [state, n] : c.states)
      if (state != "completed") rest += fmt::format(", {} {}", n, state);
    fmt::print("  {:<{}} {:<{}} {:<{}} {} of {} completed{}\n", c.profile, profile_width, c.row,
               row_width, c.column, column_width, done, c.seeds, rest);
  }
}

/// One experiment's cells with their status (or, with `summary`, their rows and columns), then
/// the totals and the training left.
void print_status(const ResultsStore& store, const host::CostEstimate& estimate,
                  const StatusCells& status, bool summary) {
  fmt::print("{}\n", status.experiment);
  if (status.cells.empty()) fmt::print("  no planned cells\n");
  size_t profile_width = 8, row_width = 16, column_width = 16;
  for (const auto& c : status.cells) {
    profile_width = std::max(profile_width, host::display_width(c.profile));
    row_width = std::max(row_width, host::display_width(c.row));
    column_width = std::max(column_width, host::display_width(c.column));
  }
  std::map<std::string, std::set<std::string>> runs_by_state;  // cells may share a run
  std::vector<CellSummary> by_cell;
  std::set<std::string> remaining_keys;
  double remaining = 0;
  int unknown = 0;
  for (const auto& c : status.cells) {
    const auto run = store.find_run_by_key(c.run_key);
    const std::string state = run ? host::to_string(run->status) : "not planned";
    // Training left: each unfinished run once (cells may share one), a running run's unfinished
    // part; a cell not planned yet from its config.
    if ((!run || run->status != host::RunStatus::Completed) &&
        remaining_keys.insert(c.run_key).second) {
      const auto planned = status.as_planned.find(c.run_key);
      const double s = run                                  ? estimate.seconds(*run)
                       : planned != status.as_planned.end() ? estimate.seconds(planned->second)
                                                            : std::nan("");
      const double left =
          run && run->status == host::RunStatus::Running
              ? 1.0 - static_cast<double>(run->epochs_done) /
                          std::max<int64_t>(1, run->config.get<host::RunConfig>().train.epochs)
              : 1.0;
      if (std::isnan(s))
        ++unknown;
      else
        remaining += s * left;
    }
    runs_by_state[state].insert(c.run_key);
    if (summary) {
      if (by_cell.empty() || by_cell.back().profile != c.profile || by_cell.back().row != c.row ||
          by_cell.back().column != c.column)
        by_cell.push_back({c.profile, c.row, c.column, {}, 0});
      ++by_cell.back().states[state];
      ++by_cell.back().seeds;
      continue;
    }
    fmt::print("  {:<{}} {:<{}} {:<{}} seed {:<3} {:<11}{}\n", c.profile, profile_width, c.row,
               row_width, c.column, column_width, c.seed, state,
               run ? status_detail(store, *run) : "");
  }
  print_summary(by_cell, profile_width, row_width, column_width);
  std::string t;
  size_t runs = 0;
  for (const auto& [state, keys] : runs_by_state) {
    t += fmt::format("{}{} {}", t.empty() ? "" : ", ", keys.size(), state);
    runs += keys.size();
  }
  if (!t.empty())
    fmt::print("  total: {} run{}: {}{}\n", runs, runs == 1 ? "" : "s", t,
               runs == status.cells.size()
                   ? ""
                   : fmt::format(" (in {} cells: some cells share a run)", status.cells.size()));
  if (remaining_keys.empty()) return;
  if (static_cast<size_t>(unknown) == remaining_keys.size())
    fmt::print(
        "  to do: {} runs, no estimate yet (no completed run of the same budget to time them by)\n",
        remaining_keys.size());
  else
    fmt::print(
        "  to do: {} runs, about {} of training{} (the median wall time of completed runs of the "
        "same budget; N workers take about 1/N of it)\n",
        remaining_keys.size(), host::format_duration(remaining),
        unknown ? fmt::format(", plus {} without an estimate yet", unknown) : "");
}

}  // namespace

const char* version() {
  return DFKD_VERSION;
}

std::unique_ptr<host::PluginHost> load_plugins(bool quiet_failures) {
  auto host = std::make_unique<host::PluginHost>();
  host->load_all(host::PluginHost::default_search_path());
  if (!quiet_failures)
    for (const auto& f : host->failures())
      fmt::print(stderr, "dfkd: warning: plugin not loaded: {}\n", f.message);
  return host;
}

host::Experiment experiment_to_run(const std::string& what, const std::string& profile,
                                   const fs::path& db) {
  if (looks_like_file(what) || fs::exists(what)) return host::load_experiment(what, profile);
  if (!fs::exists(db))
    throw ConfigError(fmt::format(
        "'{}' is neither a JSON file nor an experiment in a store: {} does not exist yet", what,
        db.string()));
  const ResultsStore store(db, ResultsStore::Mode::ReadOnly);
  return resolve_experiment(what, profile, &store);
}

fs::path db_path(const Common& c) {
  if (!c.db.empty()) return c.db;
  if (const char* env = std::getenv("DFKD_DB"); env && *env) return env;
  return "results/results.db";
}

int cmd_plugins(bool as_json) {
  auto host = load_plugins(true);
  if (as_json) {
    nlohmann::json out{{"plugins", nlohmann::json::array()}, {"failures", nlohmann::json::array()}};
    for (const auto* p : host->plugins()) {
      nlohmann::json options = nlohmann::json::array();
      for (const auto& o : p->entry.info.options)
        options.push_back({{"name", o.name},
                           {"type", to_string(o.type)},
                           {"default", o.default_value},
                           {"required", o.default_value.is_null()},
                           {"doc", o.doc},
                           {"choices", o.choices},
                           {"min", o.min_value ? nlohmann::json(*o.min_value) : nlohmann::json()},
                           {"min_exclusive", o.min_exclusive},
                           {"max", o.max_value ? nlohmann::json(*o.max_value) : nlohmann::json()},
                           {"max_exclusive", o.max_exclusive},
                           {"range", describe_range(o)}});
      nlohmann::json entry{{"name", p->entry.name},       {"kind", to_string(p->entry.kind)},
                           {"version", p->entry.version}, {"interface", p->interface_id},
                           {"file", p->file.string()},    {"sha256", p->file_sha256},
                           {"doc", p->entry.info.doc},    {"options", options}};
      if (p->entry.kind == PluginKind::Method) {
        const auto& t = p->entry.info.method_traits;
        entry["traits"] = {{"needs_teacher", t.needs_teacher},
                           {"needs_generator", t.needs_generator},
                           {"uses_training_data", t.uses_training_data},
                           {"accepts_regularizers", t.accepts_regularizers},
                           {"accepts_mixed_labels", t.accepts_mixed_labels}};
      }
      if (p->entry.kind == PluginKind::Augmentation)
        entry["traits"] = {{"mixes_labels", p->entry.info.augmentation_traits.mixes_labels}};
      out["plugins"].push_back(entry);
    }
    for (const auto& f : host->failures())
      out["failures"].push_back({{"file", f.file.string()},
                                 {"status", host::to_string(f.status)},
                                 {"message", f.message}});
    fmt::print("{}\n", out.dump(2));
    return host->failures().empty() ? 0 : 1;
  }
  fmt::print("{:<12} {:<24} {:<8} {:<20} {}\n", "KIND", "NAME", "VERSION", "INTERFACE", "FILE");
  for (const auto* p : host->plugins())
    fmt::print("{:<12} {:<24} {:<8} {:<20} {}\n", to_string(p->entry.kind), p->entry.name,
               p->entry.version, p->interface_id, p->file.string());
  for (const auto& f : host->failures()) fmt::print(stderr, "not loaded: {}\n", f.message);
  return host->failures().empty() ? 0 : 1;  // a script checking its plugins sees the refusal
}

int cmd_models(const ReportArgs& args, bool json) {
  auto plugins = load_plugins();
  auto exp = host::load_experiment(args.experiment, args.profile);
  fmt::print("{}", host::render_model_costs(host::model_costs(exp, *plugins), json));
  return 0;
}

int cmd_run(const Common& common, const RunArgs& args) {
  // Each job needs a thread of the total: --jobs 2 --threads 1 used to train one run at a time,
  // silently.
  if (args.jobs > 1 && args.threads > 0 && args.jobs > args.threads)
    throw ConfigError(fmt::format(
        "--jobs {} --threads {}: --threads is the total over all jobs, and each job needs at "
        "least one; give --threads {} (one per job) or fewer --jobs",
        args.jobs, args.threads, args.jobs));
  auto plugins = load_plugins();
  const auto db = db_path(common);
  auto exp = experiment_to_run(args.experiment, args.profile, db);
  const auto cells = host::expand_cells(exp, *plugins, {args.rows, args.columns, args.seeds});
  host::check_every_profile(exp, *plugins);  // a typo in another profile is still an error
  for (const auto& w : host::unpatched_row_warnings(exp, args.rows))
    fmt::print(stderr, "dfkd: warning: {}\n", w);
  host::RunMatrixOptions opt;
  opt.force = args.force;
  opt.force_teacher = args.force_teacher;
  opt.replace_definition = args.replace_definition;
  opt.dry_run = args.dry_run;
  opt.device = args.device;
  opt.threads = args.threads;
  opt.jobs = args.jobs;
  opt.time_iterations = args.time_iterations;
  opt.profile_step = args.profile_step;
  fmt::print("dfkd: {} (profile {}{}) -> {}\n", exp.name, exp.profile,
             exp.profile_description.empty() ? "" : ": " + exp.profile_description, db.string());
  std::fflush(stdout);
  if (args.dry_run) {  // writes nothing: not even a new store file
    std::optional<ResultsStore> existing;
    if (fs::exists(db)) existing.emplace(db, ResultsStore::Mode::ReadOnly);
    host::preview_matrix(exp, cells, existing ? &*existing : nullptr, opt, stdout);
    return 0;
  }
  ResultsStore store(db);
  const auto s = host::run_matrix(exp, cells, *plugins, store, opt, stdout);
  fmt::print("dfkd: {} runs: {} completed now, {} cached, {} failed, {} skipped{}{} in {}\n",
             s.planned, s.completed, s.cached, s.failed, s.skipped,
             s.by_others ? fmt::format(", {} completed by another process", s.by_others) : "",
             s.interrupted ? ", interrupted" : "", host::format_duration(s.wall_seconds));
  if (!args.no_table && !s.interrupted) {
    try {  // the runs are done: a table that cannot be built (best_val, no val split) is a note
      auto table = host::build_table(store, exp, args.experiment);
      table.db = common.db;  // its commands name the store the runs went to
      fmt::print("\n{}", host::render_table(table, "md"));
    } catch (const ConfigError& e) {
      fmt::print(stderr, "dfkd: no table: {}\n", e.what());
    }
  }
  if (s.interrupted) {
    fmt::print(stderr, "dfkd: interrupted; run the same command again to resume\n");
    return 130;
  }
  return s.failed > 0 ? 1 : 0;
}

int cmd_worker(const Common& common, const WorkerArgs& args) {
  auto plugins = load_plugins(true);
  if (!args.sweep.empty())
    return host::run_sweep_task(*plugins, {args.sweep, args.index, args.device, args.threads},
                                stdout);
  ResultsStore store(db_path(common));
  return host::run_claimed(
      *plugins, store, {args.run_id, args.device, args.threads, args.position, args.live_progress},
      stdout);
}

namespace {

/// The profiles of `name` with runs in the store, in name order, with their number of cells.
std::map<std::string, size_t> cells_per_profile(const ResultsStore& store,
                                                const std::string& name) {
  std::map<std::string, size_t> profiles;
  for (const auto& c : store.cells(name)) ++profiles[c.profile];
  return profiles;
}

}  // namespace

int cmd_status(const Common& common, const ReportArgs& args) {
  ResultsStore store(db_path(common), ResultsStore::Mode::ReadOnly);
  const host::CostEstimate estimate(store);
  for (const auto& status : status_cells(store, args))
    print_status(store, estimate, status, args.summary);
  return 0;
}

int cmd_table(const Common& common, const ReportArgs& args) {
  ResultsStore store(db_path(common), ResultsStore::Mode::ReadOnly);
  auto exp = resolve_experiment(args.experiment, args.profile, &store);
  const auto profile_selection = exp.metric.selection;
  if (!args.selection.empty()) exp.metric.selection = args.selection;
  const auto hint = source_hint(args.experiment, store);
  auto table = args.metric.empty() ? host::build_table(store, exp, hint)
                                   : host::build_table_of_metric(store, exp, hint, args.metric);
  table.db = common.db;
  if (profile_selection != exp.metric.selection) table.overridden_selection = profile_selection;
  if (!args.compare_to.empty()) host::compare_rows(table, args.compare_to);
  fmt::print("{}", host::render_table(table, args.format));
  // An empty table of one profile while the store holds another's runs is most often a missing
  // --profile: say which profiles have runs (on stderr: the table's format stays clean).
  const auto profiles = cells_per_profile(store, exp.name);
  if (!profiles.count(exp.profile)) {
    std::string others;
    for (const auto& [p, n] : profiles)
      others +=
          fmt::format("{}{} ({} cell{})", others.empty() ? "" : ", ", p, n, n == 1 ? "" : "s");
    if (!others.empty())
      fmt::print(stderr,
                 "dfkd: {} has no runs of {} under profile '{}'; it has runs under: {} (pass "
                 "--profile NAME)\n",
                 store.path().string(), exp.name, exp.profile, others);
  }
  return 0;
}

int cmd_plot(const Common& common, const ReportArgs& args) {
  ResultsStore store(db_path(common), ResultsStore::Mode::ReadOnly);
  auto exp = resolve_experiment(args.experiment, args.profile, &store);
  auto plugins = load_plugins();
  const fs::path out = args.out.empty()
                           ? store.path().parent_path() / "figures" / exp.name / exp.profile
                           : fs::path(args.out);
  for (const auto& png : host::plot_experiment(exp, *plugins, store, out))
    fmt::print("{}\n", png.string());
  return 0;
}

int cmd_report(const Common& common, const SiteArgs& args) {
  ResultsStore store(db_path(common), ResultsStore::Mode::ReadOnly);
  const auto names = args.experiments.empty() ? store.experiments() : args.experiments;
  std::vector<host::ReportedExperiment> reported;
  for (const auto& what : names) {
    auto profiles = std::vector<std::string>{args.profile};
    std::vector<std::string> in_store;
    for (const auto& [p, n] : cells_per_profile(store, resolve_experiment(what, "", &store).name))
      in_store.push_back(p);
    if (args.profile.empty()) {
      profiles = in_store.empty() ? std::vector<std::string>{""}  // the file's default profile
                                  : in_store;
    } else if (args.experiments.empty() &&
               std::find(in_store.begin(), in_store.end(), args.profile) == in_store.end()) {
      continue;  // "every experiment in the store": those with runs in this profile
    }
    for (const auto& profile : profiles) {
      auto exp = resolve_experiment(what, profile, &store);
      if (!args.selection.empty()) exp.metric.selection = args.selection;
      reported.push_back({std::move(exp), source_hint(what, store)});
    }
  }
  if (reported.empty())
    throw ConfigError(
        fmt::format("{} holds no experiment to report; run one first", store.path().string()));
  auto plugins = load_plugins();
  const auto index = host::write_report(
      store, *plugins, reported, {args.compare_to, fmt::format("dfkd {}", version()), args.metric},
      fs::path(args.out));
  fmt::print("{}\n", fs::absolute(index).lexically_normal().string());
  return 0;
}

}  // namespace dfkd::cli
