#include "report/table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "dfkd/errors.hpp"
#include "report/selection.hpp"
#include "util/subprocess.hpp"

namespace dfkd::host {

namespace {

// Positive terms first, so that a difference reads as one ("Self + Scratch − Finetuned − Label").
std::string formula_of(const Contrast& contrast) {
  auto terms = contrast.terms;
  std::stable_partition(terms.begin(), terms.end(),
                        [](const auto& term) { return term.second > 0; });
  std::string out;
  for (const auto& [row, k] : terms) {
    const double a = std::fabs(k);
    const auto factor = a == 1 ? std::string() : fmt::format("{:g} × ", a);
    out += out.empty() ? (k < 0 ? "−" : "") : (k < 0 ? " − " : " + ");
    out += factor + row;
  }
  return out;
}

// Seed by seed: a seed counts only where every row of the contrast has a completed run of it.
ContrastResult evaluate(const ResultTable& t, const Contrast& contrast) {
  ContrastResult result{contrast, formula_of(contrast), {}};
  for (const auto& column : t.columns) {
    std::map<int64_t, std::pair<double, size_t>> by_seed;  // seed -> (sum, rows seen)
    for (const auto& [row, k] : contrast.terms) {
      const auto& cell = t.cells.at(row).at(column);
      for (size_t i = 0; i < cell.values.size(); ++i) {
        auto& [sum, seen] = by_seed[cell.seeds[i]];
        sum += k * cell.values[i];
        ++seen;
      }
    }
    ContrastCell& out = result.cells[column];
    for (const auto& [seed, entry] : by_seed)
      if (entry.second == contrast.terms.size()) {
        out.seeds.push_back(seed);
        out.values.push_back(entry.first);
      }
    out.summary = summarize(out.values);
    out.test = one_sample_t_test(out.values);
    if (const auto paper = contrast.paper.find(column); paper != contrast.paper.end())
      out.paper = paper->second;
  }
  return result;
}

}  // namespace

ResultTable build_table(const ResultsStore& store, const Experiment& exp, const std::string& hint) {
  ResultTable t;
  t.experiment = exp.name;
  t.title = exp.title;
  t.profile = exp.profile;
  t.profile_description = exp.profile_description;
  t.metric = exp.metric;
  t.columns = exp.column_names();
  t.profile_columns = exp.profile_columns.empty() ? t.columns : exp.profile_columns;
  t.rows = exp.row_names();
  t.seeds = exp.seeds;
  for (const auto& row : exp.rows)
    if (const auto it = row.find("teacher"); it != row.end() && *it == true)
      t.teacher_rows.insert(row.at("name").get<std::string>());
  t.source_hint = hint;
  for (const auto& r : t.rows)
    for (const auto& c : t.columns) t.cells[r][c].paper = exp.paper_value(r, c);
  // A run read by several cells (a teacher in every column) trained once: its time counts once.
  std::set<std::string> timed;
  std::map<std::string, std::string> machine_of;  // environment_id -> EnvironmentInfo::machine()
  for (const auto& link : store.cells(exp.name, exp.profile)) {
    auto row = t.cells.find(link.row);
    if (row == t.cells.end()) continue;
    auto cell = row->second.find(link.column);
    if (cell == row->second.end()) continue;
    const auto run = store.find_run_by_key(link.run_key);
    if (!run) continue;
    cell->second.runs.emplace_back(link.seed, run->run_id);
    if (run->status == RunStatus::Failed) {
      if (cell->second.failed++ == 0) cell->second.failed_run = run->run_id.substr(0, 12);
      continue;
    }
    if (run->status != RunStatus::Completed) {
      ++cell->second.pending;
      continue;
    }
    if (const auto value = selected_value(store, *run, exp.metric)) {
      cell->second.values.push_back(*value);
      cell->second.seeds.push_back(link.seed);
      if (timed.insert(run->run_id).second) {
        t.wall_seconds += run->wall_seconds;
        auto known = machine_of.find(run->environment_id);  // runs share a few environments
        if (known == machine_of.end()) {
          const auto env = store.environment(run->environment_id);
          known =
              machine_of
                  .emplace(run->environment_id, env ? env->machine() : EnvironmentInfo{}.machine())
                  .first;
        }
        auto& machine = t.machines[known->second];
        ++machine.runs;
        machine.wall_seconds += run->wall_seconds;
      }
    } else if (cell->second.without_metric++ == 0) {
      cell->second.without_metric_run = run->run_id;
    }
  }
  double smallest = 0;  // the smallest nonzero |value|, for the decimals
  for (const auto& [r, row] : t.cells)
    for (const auto& [c, cell] : row)
      for (double v : cell.values)
        if (v != 0 && (smallest == 0 || std::fabs(v) < smallest)) smallest = std::fabs(v);
  if (smallest > 0)
    t.decimals = std::clamp(2 - static_cast<int>(std::floor(std::log10(smallest))), 2, 6);
  for (auto& [r, row] : t.cells)
    for (auto& [c, cell] : row) {
      std::sort(cell.runs.begin(), cell.runs.end());
      const auto s = summarize(cell.values);
      cell.mean = s.mean;
      cell.std = s.std;
      cell.ci95 = s.ci95;
    }
  for (const auto& contrast : exp.contrasts) t.contrasts.push_back(evaluate(t, contrast));
  return t;
}

ResultTable build_table_of_metric(const ResultsStore& store, Experiment exp,
                                  const std::string& hint, const std::string& key) {
  if (key != exp.metric.key) {
    exp.metric.key = key;
    for (auto& row : exp.rows) row.erase("paper");
    for (auto& contrast : exp.contrasts) contrast.paper.clear();
  }
  auto t = build_table(store, exp, hint);
  std::set<std::string> completed_runs;  // a run of each cell, none logging `key`
  for (const auto& [r, row] : t.cells)
    for (const auto& [c, cell] : row) {
      if (!cell.values.empty()) return t;
      if (!cell.without_metric_run.empty()) completed_runs.insert(cell.without_metric_run);
    }
  if (completed_runs.empty()) return t;  // nothing completed yet: the table says what to run
  std::set<std::string> logged;  // what the rows log between them (methods log different keys)
  for (const auto& run : completed_runs)
    for (const auto& s : store.summaries(run)) logged.insert(s.key);
  const std::vector<std::string> keys(logged.begin(), logged.end());
  throw ConfigError(
      fmt::format("--metric: no completed run of {} (profile {}) logs '{}'{}; its runs log: {}",
                  exp.name, exp.profile, key, did_you_mean(key, keys), fmt::join(keys, ", ")));
}

void compare_rows(ResultTable& t, const std::string& reference_row) {
  if (std::find(t.rows.begin(), t.rows.end(), reference_row) == t.rows.end()) {
    std::string rows;
    for (const auto& r : t.rows) rows += (rows.empty() ? "'" : ", '") + r + "'";
    throw ConfigError(fmt::format(
        "--compare-to: '{}' is not a row of {} (profile {}){}; its rows: {}", reference_row,
        t.experiment, t.profile, did_you_mean(reference_row, t.rows), rows));
  }
  t.compare_to = reference_row;
  for (const auto& c : t.columns) {
    const auto& ref_cell = t.cells.at(reference_row).at(c);
    const auto& reference = ref_cell.values;
    // Said where the test is missing: a reference without the metric is not a lack of seeds.
    const std::string ref_reason = !reference.empty() ? fmt::format("{} has n = 1", reference_row)
                                   : ref_cell.without_metric > 0
                                       ? fmt::format("{} does not log this metric", reference_row)
                                       : fmt::format("{} has no completed run here", reference_row);
    std::vector<TableCell*> tested;
    std::vector<double> p;
    for (const auto& r : t.rows) {
      auto& cell = t.cells.at(r).at(c);
      cell.versus.reset();
      cell.p_holm.reset();
      cell.no_test.clear();
      if (r != reference_row) cell.versus = welch_t_test(cell.values, reference);
      if (!cell.versus && r != reference_row)
        cell.no_test = reference.size() < 2 ? ref_reason : "n < 2";
      if (!cell.versus) continue;
      tested.push_back(&cell);
      p.push_back(cell.versus->p);
    }
    const auto adjusted = holm_adjusted(p);
    for (size_t i = 0; i < tested.size(); ++i) tested[i]->p_holm = adjusted[i];
  }
}

nlohmann::json table_json(const ResultTable& t) {
  using nlohmann::json;
  auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j{{"experiment", t.experiment},     {"title", t.title},
         {"profile", t.profile},           {"profile_description", t.profile_description},
         {"metric", t.metric.key},         {"selection", t.metric.selection},
         {"wall_seconds", t.wall_seconds}, {"machines", json::array()},
         {"columns", t.columns},           {"rows", json::array()}};
  if (!t.overridden_selection.empty()) j["profile_selection"] = t.overridden_selection;
  for (const auto& [machine, time] : t.machines)
    j["machines"].push_back(
        {{"machine", machine}, {"runs", time.runs}, {"wall_seconds", time.wall_seconds}});
  for (const auto& r : t.rows) {
    json cells = json::object();
    for (const auto& c : t.columns) {
      const auto& cell = t.cells.at(r).at(c);
      cells[c] = {{"mean", cell.values.empty() ? json(nullptr) : json(cell.mean)},
                  {"std", optional(cell.std)},
                  {"ci95", optional(cell.ci95)},
                  {"n", cell.values.size()},
                  {"failed", cell.failed},
                  {"values", cell.values},
                  {"paper", optional(cell.paper)}};
      if (cell.versus) {
        cells[c]["diff"] = cell.versus->diff;
        cells[c]["p"] = cell.versus->p;
        cells[c]["p_holm"] = optional(cell.p_holm);
      }
    }
    j["rows"].push_back({{"row", r}, {"cells", cells}});
  }
  j["selection_rule"] = selection_text(t.metric);
  j["ci95_rule"] = kCi95Rule;
  j["compare_to"] = t.compare_to.empty() ? json(nullptr) : json(t.compare_to);
  if (!t.compare_to.empty()) j["compare_rule"] = compare_rule(t);
  j["contrasts"] = json::array();
  for (const auto& c : t.contrasts) {
    json cells = json::object();
    for (const auto& [column, cell] : c.cells) {
      cells[column] = {{"mean", cell.values.empty() ? json(nullptr) : json(cell.summary.mean)},
                       {"std", optional(cell.summary.std)},
                       {"ci95", optional(cell.summary.ci95)},
                       {"n", cell.values.size()},
                       {"values", cell.values},
                       {"seeds", cell.seeds},
                       {"t", cell.test ? json(cell.test->t) : json(nullptr)},
                       {"p", cell.test ? json(cell.test->p) : json(nullptr)},
                       {"paper", optional(cell.paper)}};
    }
    json terms = json::object();
    for (const auto& [row, k] : c.contrast.terms) terms[row] = k;
    j["contrasts"].push_back({{"name", c.contrast.name},
                              {"description", c.contrast.description},
                              {"formula", c.formula},
                              {"terms", terms},
                              {"cells", cells}});
  }
  if (!t.contrasts.empty()) j["contrast_rule"] = kContrastRule;
  j["fill_commands"] = fill_commands(t);
  return j;
}

std::string db_option(const ResultTable& t) {
  return t.db.empty() ? "" : " --db " + shell_quote(t.db);
}

std::vector<std::string> fill_commands(const ResultTable& t) {
  auto empty = [&](const std::string& r, const std::string& c) {  // and running it would help
    const auto& cell = t.cells.at(r).at(c);
    return cell.values.empty() && cell.without_metric == 0;
  };
  // The store the table was read from, so that the runs land where the table looks.
  const auto base = fmt::format("dfkd run {} --profile {}{}", shell_quote(t.source_hint), t.profile,
                                db_option(t));
  std::vector<std::string> out;
  std::set<std::string> whole_columns;
  for (const auto& c : t.columns) {
    bool all = true;
    for (const auto& r : t.rows) all = all && empty(r, c);
    if (!all) continue;
    whole_columns.insert(c);
    const bool in_profile =
        std::find(t.profile_columns.begin(), t.profile_columns.end(), c) != t.profile_columns.end();
    out.push_back(fmt::format(
        "{} --dataset '{}'{}", base, c,
        in_profile ? "" : "   # not in this profile's datasets: added only when asked for"));
  }
  for (const auto& r : t.rows) {
    std::vector<std::string> cols;
    for (const auto& c : t.columns)
      if (!whole_columns.count(c) && empty(r, c)) cols.push_back(c);
    if (cols.empty()) continue;
    std::string list;
    for (const auto& c : cols) list += (list.empty() ? "'" : ",'") + c + "'";
    out.push_back(fmt::format("{} --only '{}' --dataset {}", base, r, list));
  }
  // Cells with some of their seeds: the same command runs the missing ones (the rest are cached).
  for (const auto& r : t.rows)
    for (const auto& c : t.columns) {
      const auto& cell = t.cells.at(r).at(c);
      const auto n = static_cast<int64_t>(cell.values.size()) + cell.without_metric;
      if (n == 0 || n + cell.pending >= t.seeds || t.teacher_rows.count(r)) continue;
      out.push_back(
          fmt::format("{} --only '{}' --dataset '{}'   # {} of {} seeds", base, r, c, n, t.seeds));
    }
  return out;
}

std::string format_value(double v, int decimals) {
  return fmt::format("{:.{}f}", v, decimals);
}

std::string format_signed(double v, int decimals) {
  return fmt::format("{:+.{}f}", v, decimals);
}

std::string format_p(double p) {
  return p < 0.001 ? "p<0.001" : fmt::format("p={:.3g}", p);
}

std::string holm_suffix(const TableCell& c) {
  if (!c.versus || !c.p_holm) return "";
  std::string s = *c.p_holm < 0.05 ? "†" : "";
  if (c.versus->p < 0.05 && format_p(*c.p_holm) != format_p(c.versus->p))
    s += " (Holm " + format_p(*c.p_holm) + ")";
  return s;
}

std::string compare_rule(const ResultTable& t) {
  return fmt::format(
      "Against {}: difference of means (row - {}) and the two-sided p of Welch's t-test; * p < "
      "0.05; † p < 0.05 also after Holm's adjustment over the column's tests against {} (the "
      "chance of any false † in a column is at most 0.05; beside a p < 0.05, Holm's p where it "
      "differs); no test where either cell has n < 2 or the reference does not log the metric",
      t.compare_to, t.compare_to, t.compare_to);
}

}  // namespace dfkd::host
