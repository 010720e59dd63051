// `dfkd status`: each experiment's cells (or, with --summary, rows and columns) by state, the
// totals, and the training left.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "cli/commands.hpp"
#include "config/experiment.hpp"
#include "config/run_config.hpp"
#include "loader/plugin_host.hpp"
#include "planner/cells.hpp"
#include "planner/cost_estimate.hpp"
#include "planner/progress.hpp"
#include "planner/run_matrix.hpp"
#include "store/results_store.hpp"

namespace dfkd::cli {
namespace {

namespace fs = std::filesystem;
using host::ResultsStore;

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
std::vector<StatusCells> status_cells(const ResultsStore& store, const fs::path& db,
                                      const ReportArgs& args) {
  std::vector<StatusCells> experiments;
  const bool file =
      !args.experiment.empty() && (looks_like_file(args.experiment) || fs::exists(args.experiment));
  if (file || (!args.experiment.empty() && !args.profile.empty())) {
    auto plugins = load_plugins();
    auto exp = experiment_to_run(args.experiment, args.profile, db);
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
        "  to do: {} runs, about {} of training{} (each run's epochs at the median epoch of "
        "completed runs alike; N workers take about 1/N of it)\n",
        remaining_keys.size(), host::format_duration(remaining),
        unknown ? fmt::format(", plus {} without an estimate yet", unknown) : "");
}

}  // namespace

int cmd_status(const Common& common, const ReportArgs& args) {
  const auto db = db_path(common);
  ResultsStore store(db, ResultsStore::Mode::ReadOnly);
  const host::CostEstimate estimate(store);
  for (const auto& status : status_cells(store, db, args))
    print_status(store, estimate, status, args.summary);
  return 0;
}

}  // namespace dfkd::cli
