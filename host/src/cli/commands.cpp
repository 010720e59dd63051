#include "cli/commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "config/experiment.hpp"
#include "dfkd/errors.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
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

}  // namespace

bool looks_like_file(const std::string& s) {
  return s.size() > 5 && s.substr(s.size() - 5) == ".json";
}

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
  opt.jobs = args.jobs > 0 ? args.jobs : static_cast<int>(exp.jobs);
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
