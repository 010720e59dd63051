#include "report/table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

std::string number(double v) {
  return fmt::format("{:.2f}", v);
}

std::string cell_text(const TableCell& c, bool with_paper) {
  std::string s;
  if (c.values.empty())
    s = c.pending > 0 ? "not finished" : "not run";
  else if (c.values.size() == 1)
    s = fmt::format("{} (n=1)", number(c.mean));
  else
    s = fmt::format("{} ± {} (n={})", number(c.mean), number(c.std), c.values.size());
  if (with_paper && c.paper)
    s += c.values.empty()
             ? fmt::format(" · paper {}", number(*c.paper))
             : fmt::format(" · paper {} (Δ {:+.2f})", number(*c.paper), c.mean - *c.paper);
  return s;
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '_' || ch == '%' || ch == '&' || ch == '#') out += '\\';
    out += ch;
  }
  return out;
}

std::string selection_text(const ResultTable& t) {
  return t.metric.selection == "final" ? "value at the final epoch"
                                       : "value at the best epoch on the test split (optimistic)";
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
  t.source_hint = hint;
  for (const auto& r : t.rows)
    for (const auto& c : t.columns) t.cells[r][c].paper = exp.paper_value(r, c);
  for (const auto& link : store.cells(exp.name, exp.profile)) {
    auto row = t.cells.find(link.row);
    if (row == t.cells.end()) continue;
    auto cell = row->second.find(link.column);
    if (cell == row->second.end()) continue;
    const auto run = store.find_run_by_key(link.run_key);
    if (!run) continue;
    if (run->status != RunStatus::Completed) {
      ++cell->second.pending;
      continue;
    }
    for (const auto& s : store.summaries(run->run_id)) {
      if (s.key != exp.metric.key) continue;
      cell->second.values.push_back(exp.metric.selection == "final" ? s.final_value : s.best_value);
      t.wall_seconds += run->wall_seconds;
    }
  }
  for (auto& [r, row] : t.cells)
    for (auto& [c, cell] : row) {
      const auto n = static_cast<double>(cell.values.size());
      if (cell.values.empty()) continue;
      double sum = 0;
      for (double v : cell.values) sum += v;
      cell.mean = sum / n;
      double ss = 0;
      for (double v : cell.values) ss += (v - cell.mean) * (v - cell.mean);
      cell.std = cell.values.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
    }
  return t;
}

nlohmann::json table_json(const ResultTable& t) {
  nlohmann::json j{{"experiment", t.experiment},     {"title", t.title},
                   {"profile", t.profile},           {"profile_description", t.profile_description},
                   {"metric", t.metric.key},         {"selection", t.metric.selection},
                   {"wall_seconds", t.wall_seconds}, {"columns", t.columns},
                   {"rows", nlohmann::json::array()}};
  for (const auto& r : t.rows) {
    nlohmann::json cells = nlohmann::json::object();
    for (const auto& c : t.columns) {
      const auto& cell = t.cells.at(r).at(c);
      const bool has = !cell.values.empty();
      cells[c] = {{"mean", has ? nlohmann::json(cell.mean) : nlohmann::json(nullptr)},
                  {"std", has ? nlohmann::json(cell.std) : nlohmann::json(nullptr)},
                  {"n", cell.values.size()},
                  {"values", cell.values},
                  {"paper", cell.paper ? nlohmann::json(*cell.paper) : nlohmann::json(nullptr)}};
    }
    j["rows"].push_back({{"row", r}, {"cells", cells}});
  }
  j["selection_rule"] = selection_text(t);
  j["fill_commands"] = fill_commands(t);
  return j;
}

std::vector<std::string> fill_commands(const ResultTable& t) {
  auto empty = [&](const std::string& r, const std::string& c) {
    return t.cells.at(r).at(c).values.empty();
  };
  auto quoted = [](const std::string& s) {
    if (s.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+=:,@") ==
        std::string::npos)
      return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  // The store the table was read from, so that the runs land where the table looks.
  const auto base = fmt::format("dfkd run {} --profile {}{}", t.source_hint, t.profile,
                                t.db.empty() ? "" : " --db " + quoted(t.db));
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
  return out;
}

std::string render_table(const ResultTable& t, const std::string& format) {
  std::ostringstream o;

  if (format == "json") return table_json(t).dump(2) + "\n";
  if (format == "csv") {
    o << "row,column,mean,std,n,paper,values\n";
    for (const auto& r : t.rows)
      for (const auto& c : t.columns) {
        const auto& cell = t.cells.at(r).at(c);
        std::string values;
        for (double v : cell.values) values += (values.empty() ? "" : ";") + number(v);
        o << csv_escape(r) << ',' << csv_escape(c) << ','
          << (cell.values.empty() ? "" : number(cell.mean)) << ','
          << (cell.values.empty() ? "" : number(cell.std)) << ',' << cell.values.size() << ','
          << (cell.paper ? number(*cell.paper) : "") << ',' << values << '\n';
      }
    return o.str();
  }
  if (format == "latex") {
    o << "% " << t.title << " -- profile " << t.profile << "; " << t.metric.key << ", "
      << selection_text(t) << "; mean $\\pm$ std over seeds; paper value in brackets\n";
    o << "\\begin{tabular}{l" << std::string(t.columns.size(), 'c') << "}\n\\hline\nModel";
    for (const auto& c : t.columns) o << " & " << latex_escape(c);
    o << " \\\\\n\\hline\n";
    for (const auto& r : t.rows) {
      o << latex_escape(r);
      for (const auto& c : t.columns) {
        const auto& cell = t.cells.at(r).at(c);
        o << " & ";
        if (cell.values.empty())
          o << "--";
        else if (cell.values.size() == 1)
          o << number(cell.mean);
        else
          o << number(cell.mean) << " $\\pm$ " << number(cell.std);
        if (cell.paper) o << " (" << number(*cell.paper) << ")";
      }
      o << " \\\\\n";
    }
    o << "\\hline\n\\end{tabular}\n";
    return o.str();
  }
  if (format != "md")
    throw ConfigError(
        fmt::format("--format: expected md, latex, csv or json; found \"{}\"", format));

  o << "## " << t.title << "\n\n";
  o << "Profile `" << t.profile << "`";
  if (!t.profile_description.empty()) o << " (" << t.profile_description << ")";
  o << ". Metric: `" << t.metric.key << "`, " << selection_text(t)
    << "; mean ± sample std over seeds (n = completed seeds); paper value and Δ = ours − paper "
       "where the paper reports one. Training time of the runs shown: "
    << fmt::format("{:.1f} s", t.wall_seconds) << ".\n\n";
  o << "| Model |";
  for (const auto& c : t.columns) o << ' ' << c << " |";
  o << "\n|---|";
  for (size_t i = 0; i < t.columns.size(); ++i) o << "---|";
  o << '\n';
  for (const auto& r : t.rows) {
    o << "| " << r << " |";
    for (const auto& c : t.columns) o << ' ' << cell_text(t.cells.at(r).at(c), true) << " |";
    o << '\n';
  }
  const auto commands = fill_commands(t);
  if (!commands.empty()) {
    o << "\nCells without results; fill them with:\n";
    for (const auto& c : commands) o << "  " << c << '\n';
  }
  return o.str();
}

}  // namespace dfkd::host
