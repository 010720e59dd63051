// The text formats of a ResultTable: Markdown, LaTeX and CSV (JSON is table_json in table.cpp).
#include <fmt/format.h>

#include <sstream>

#include "dfkd/errors.hpp"
#include "report/selection.hpp"
#include "report/table.hpp"

namespace dfkd::host {
namespace {

bool significant(const TableCell& c) {
  return c.versus && c.versus->p < 0.05;
}

bool significant_after_holm(const TableCell& c) {
  return c.p_holm && *c.p_holm < 0.05;
}

bool any_single_seed(const ResultTable& t) {
  for (const auto& [r, row] : t.cells)
    for (const auto& [c, cell] : row)
      if (cell.values.size() == 1) return true;
  return false;
}

bool any_paper_value(const ResultTable& t) {
  for (const auto& [r, row] : t.cells)
    for (const auto& [c, cell] : row)
      if (cell.paper) return true;
  return false;
}

/// "mean ± ci95 (n=k)"; one seed shows no ± at all (its spread is unknown, not zero).
/// `db`: the --db option of the `dfkd runs show` a failed run's cell suggests.
std::string mean_text(const TableCell& c, int d, const std::string& db = "") {
  if (c.values.empty()) {
    if (c.failed > 0) return fmt::format("failed (dfkd runs show {}{})", c.failed_run, db);
    if (c.pending > 0) return "not finished";
    return c.without_metric > 0 ? "not logged" : "not run";
  }
  const auto n = c.failed > 0 ? fmt::format("n={}, {} failed: dfkd runs show {}{}", c.values.size(),
                                            c.failed, c.failed_run, db)
                              : fmt::format("n={}", c.values.size());
  if (!c.ci95) return fmt::format("{} ({})", format_value(c.mean, d), n);
  return fmt::format("{} ± {} ({})", format_value(c.mean, d), format_value(*c.ci95, d), n);
}

std::string cell_text(const ResultTable& t, const std::string& row, const TableCell& c) {
  const int d = t.decimals;
  std::string s = mean_text(c, d, db_option(t));
  if (!t.compare_to.empty() && !c.values.empty()) {
    if (row == t.compare_to)
      s += " · reference";
    else if (c.versus)
      s += fmt::format(" · vs {} {}, {}", t.compare_to, format_signed(c.versus->diff, d),
                       format_p(c.versus->p) + (significant(c) ? "*" : "") + holm_suffix(c));
    else
      s += fmt::format(" · vs {}: no test ({})", t.compare_to, c.no_test);
  }
  if (c.paper)
    s += c.values.empty() ? fmt::format(" · paper {}", format_value(*c.paper, d))
                          : fmt::format(" · paper {} (Δ {})", format_value(*c.paper, d),
                                        format_signed(c.mean - *c.paper, d));
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

std::string contrast_text(const ContrastCell& c, int d) {
  std::string s;
  if (c.values.empty())
    s = "no seed with every row";
  else if (!c.summary.ci95)
    s = fmt::format("{} (n=1)", format_signed(c.summary.mean, d));
  else
    s = fmt::format("{} ± {} (n={}) · {}{}", format_signed(c.summary.mean, d),
                    format_value(*c.summary.ci95, d), c.values.size(), format_p(c.test->p),
                    c.test->p < 0.05 ? "*" : "");
  if (c.paper) s += fmt::format(" · paper {}", format_signed(*c.paper, d));
  return s;
}

void markdown_contrasts(const ResultTable& t, std::ostringstream& o) {
  if (t.contrasts.empty()) return;
  o << "\n### Contrasts\n\n" << kContrastRule << "; * p < 0.05.\n\n| Contrast |";
  for (const auto& c : t.columns) o << ' ' << c << " |";
  o << "\n|---|";
  for (size_t i = 0; i < t.columns.size(); ++i) o << "---|";
  o << '\n';
  for (const auto& c : t.contrasts) {
    o << "| " << c.contrast.name << " = " << c.formula << " |";
    for (const auto& col : t.columns)
      o << ' ' << contrast_text(c.cells.at(col), t.decimals) << " |";
    o << '\n';
  }
}

void latex_contrasts(const ResultTable& t, std::ostringstream& o) {
  if (t.contrasts.empty()) return;
  o << "% contrasts: " << kContrastRule << "; $^{*}$: p < 0.05\n\\begin{tabular}{l"
    << std::string(t.columns.size(), 'c') << "}\n\\hline\nContrast";
  for (const auto& c : t.columns) o << " & " << latex_escape(c);
  o << " \\\\\n\\hline\n";
  for (const auto& c : t.contrasts) {
    o << latex_escape(c.contrast.name);
    for (const auto& col : t.columns) {
      const auto& cell = c.cells.at(col);
      o << " & ";
      if (cell.values.empty())
        o << "--";
      else
        o << format_signed(cell.summary.mean, t.decimals)
          << (cell.summary.ci95 ? " $\\pm$ " + format_value(*cell.summary.ci95, t.decimals) : "")
          << (cell.test && cell.test->p < 0.05 ? "$^{*}$" : "");
      if (cell.paper) o << " (" << format_signed(*cell.paper, t.decimals) << ")";
    }
    o << " \\\\\n";
  }
  o << "\\hline\n\\end{tabular}\n";
}

/// Columns after "values" are newer than the rest: appended so that readers by position still
/// work. Empty fields: no value (std and ci95 of one seed are unknown, not 0). Every row names
/// its profile and metric, so a CSV read alone (or pasted into another) still says what it is.
std::string render_csv(const ResultTable& t) {
  std::ostringstream o;
  const int d = t.decimals;
  auto optional = [d](const std::optional<double>& v) {
    return v ? format_value(*v, d) : std::string();
  };
  const auto what = fmt::format("{},{},{}", csv_escape(t.profile), csv_escape(t.metric.key),
                                csv_escape(t.metric.selection));
  o << "row,column,mean,std,n,paper,values,ci95,diff,p,profile,metric,selection,p_holm\n";
  for (const auto& r : t.rows)
    for (const auto& c : t.columns) {
      const auto& cell = t.cells.at(r).at(c);
      std::string values;
      for (double v : cell.values) values += (values.empty() ? "" : ";") + format_value(v, d);
      o << csv_escape(r) << ',' << csv_escape(c) << ','
        << (cell.values.empty() ? "" : format_value(cell.mean, d)) << ',' << optional(cell.std)
        << ',' << cell.values.size() << ',' << optional(cell.paper) << ',' << values << ','
        << optional(cell.ci95) << ',' << (cell.versus ? format_value(cell.versus->diff, d) : "")
        << ',' << (cell.versus ? fmt::format("{:.4g}", cell.versus->p) : "") << ',' << what << ','
        << (cell.p_holm ? fmt::format("{:.4g}", *cell.p_holm) : "") << '\n';
    }
  return o.str();
}

std::string render_latex(const ResultTable& t) {
  std::ostringstream o;
  o << "% " << t.title << " -- profile " << t.profile << "; " << t.metric.key << ", "
    << selection_text(t.metric)
    << "; mean $\\pm$ half-width of the 95\\% CI of the mean over seeds (Student t, n-1 df); "
       "paper value in brackets\n";
  if (!t.compare_to.empty())
    o << "% $^{*}$: p < 0.05 in Welch's two-sided t-test against " << t.compare_to
      << "; $^{\\dagger}$: still p < 0.05 after Holm's adjustment over the column's tests\n";
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
      else
        o << format_value(cell.mean, t.decimals)
          << (cell.ci95 ? " $\\pm$ " + format_value(*cell.ci95, t.decimals) : "");
      if (significant(cell)) o << (significant_after_holm(cell) ? "$^{*\\dagger}$" : "$^{*}$");
      if (cell.paper) o << " (" << format_value(*cell.paper, t.decimals) << ")";
    }
    o << " \\\\\n";
  }
  o << "\\hline\n\\end{tabular}\n";
  if (any_single_seed(t)) o << "% cells without $\\pm$: n = 1, one seed has no spread\n";
  latex_contrasts(t, o);
  return o.str();
}

std::string render_markdown(const ResultTable& t) {
  std::ostringstream o;
  o << "## " << t.title << "\n\n";
  o << "Profile `" << t.profile << "`";
  if (!t.profile_description.empty()) o << " (" << t.profile_description << ")";
  o << ". Metric: `" << t.metric.key << "`, " << selection_text(t.metric)
    << (t.overridden_selection.empty()
            ? ""
            : fmt::format(" (--selection {} instead of the profile's {})", t.metric.selection,
                          t.overridden_selection))
    << "; mean ± 95 % CI (t, n seeds): half-width t_{0.975, n-1} · s / √n over the n completed "
       "seeds"
    << (any_paper_value(t) ? "; paper value and Δ = ours − paper where the paper reports one" : "")
    // Wall clock, not CPU time: a run paused or sharing its cores counts the whole time.
    << ". Wall time of the runs shown (every attempt): " << fmt::format("{:.1f} s", t.wall_seconds)
    << machines_text(t) << ".\n\n";
  if (!t.compare_to.empty()) o << compare_rule(t) << ".\n\n";
  o << "| Model |";
  for (const auto& c : t.columns) o << ' ' << c << " |";
  o << "\n|---|";
  for (size_t i = 0; i < t.columns.size(); ++i) o << "---|";
  o << '\n';
  for (const auto& r : t.rows) {
    o << "| " << r << " |";
    for (const auto& c : t.columns) o << ' ' << cell_text(t, r, t.cells.at(r).at(c)) << " |";
    o << '\n';
  }
  if (any_single_seed(t)) o << "\nn = 1: no spread (one seed); those cells show no ±.\n";
  markdown_contrasts(t, o);
  const auto commands = fill_commands(t);
  if (!commands.empty()) {
    o << "\nCells without results, or with fewer seeds than the profile's; fill them with:\n";
    for (const auto& c : commands) o << "  " << c << '\n';
  }
  return o.str();
}

}  // namespace

std::string machines_text(const ResultTable& t) {
  if (t.machines.empty()) return "";
  if (t.machines.size() == 1) {
    const auto& machine = t.machines.begin()->first;
    return machine == EnvironmentInfo{}.machine() ? " (" + machine + ")" : " on " + machine;
  }
  std::string parts;
  for (const auto& [machine, time] : t.machines)
    parts += fmt::format("{}{}: {} run{}, {:.1f} s", parts.empty() ? "" : "; ", machine, time.runs,
                         time.runs == 1 ? "" : "s", time.wall_seconds);
  return " (" + parts + ")";
}

std::string render_table(const ResultTable& t, const std::string& format) {
  if (format == "json") return table_json(t).dump(2) + "\n";
  if (format == "csv") return render_csv(t);
  if (format == "latex") return render_latex(t);
  if (format != "md")
    throw ConfigError(
        fmt::format("--format: expected md, latex, csv or json; found \"{}\"", format));
  return render_markdown(t);
}

}  // namespace dfkd::host
