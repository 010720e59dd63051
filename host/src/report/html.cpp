#include "report/html.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/selection.hpp"

namespace dfkd::host {
namespace {

// Inline: the report is opened from disk, with no server and no network, on any machine.
constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 1.5em auto; max-width: 78em; padding: 0 1em; color: #222; }
nav { font-size: 0.9em; margin-bottom: 0.5em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cell-mean { font-weight: bold; } .muted, .note { color: #666; font-size: 0.88em; }
.significant { color: #a50f15; } .runs a { margin-right: 0.35em; }
.status-completed { color: #1b7837; } .status-failed, .error { color: #a50f15; }
.status-running, .status-planned, .status-killed { color: #b35806; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.4em 0; }
.scroll { overflow-x: auto; }
)";

std::string run_links(const TableCell& cell, const RunHref& run_href) {
  std::string links;
  for (const auto& [seed, run_id] : cell.runs) {
    const auto href = run_href(run_id);
    if (href.empty()) continue;
    links += fmt::format("<a href=\"{}\" title=\"run {}\">s{}</a>", html_escape(href),
                         run_id.substr(0, 12), seed);
  }
  return links.empty() ? "" : "<div class=\"runs muted\">runs: " + links + "</div>";
}

std::string cell_html(const ResultTable& t, const std::string& row, const TableCell& c,
                      const RunHref& run_href) {
  const int d = t.decimals;
  std::string s;
  if (c.values.empty()) {
    s = c.failed > 0           ? "<span class=\"status-failed\">failed</span>"
        : c.pending > 0        ? "<span class=\"muted\">not finished</span>"
        : c.without_metric > 0 ? "<span class=\"muted\">not logged</span>"
                               : "<span class=\"muted\">not run</span>";
  } else {
    s = "<span class=\"cell-mean\">" + format_value(c.mean, d) + "</span>";
    if (c.ci95) s += " ± " + format_value(*c.ci95, d);
    s += fmt::format(" <span class=\"muted\">(n={}{})</span>", c.values.size(),
                     c.failed > 0 ? fmt::format(", {} failed", c.failed) : "");
  }
  if (!t.compare_to.empty() && !c.values.empty()) {
    if (row == t.compare_to)
      s += "<div class=\"muted\">reference</div>";
    else if (c.versus)
      s += fmt::format("<div class=\"{}\">vs {} {}, {}{}</div>",
                       c.versus->p < 0.05 ? "significant" : "muted", html_escape(t.compare_to),
                       format_signed(c.versus->diff, d), html_escape(format_p(c.versus->p)),
                       html_escape(holm_suffix(c)));
    else
      s += "<div class=\"muted\">no test (" + html_escape(c.no_test) + ")</div>";
  }
  if (c.paper)
    s += c.values.empty()
             ? fmt::format("<div class=\"muted\">paper {}</div>", format_value(*c.paper, d))
             : fmt::format("<div class=\"muted\">paper {} (Δ {})</div>", format_value(*c.paper, d),
                           format_signed(c.mean - *c.paper, d));
  return s + run_links(c, run_href);
}

/// The profile's columns and any other column with runs: a column the profile does not run
/// (CIFAR in the smoke profile) would be a column of "not run".
std::vector<std::string> shown_columns(const ResultTable& t) {
  std::vector<std::string> shown;
  for (const auto& c : t.columns) {
    bool has_runs = false;
    for (const auto& r : t.rows) has_runs = has_runs || !t.cells.at(r).at(c).runs.empty();
    if (has_runs ||
        std::find(t.profile_columns.begin(), t.profile_columns.end(), c) != t.profile_columns.end())
      shown.push_back(c);
  }
  return shown;
}

// The experiment's contrasts (report/table.hpp) under its table, with the same columns.
std::string contrasts_html(const ResultTable& t, const std::vector<std::string>& columns) {
  if (t.contrasts.empty()) return "";
  std::string s = "<div class=\"scroll\"><table class=\"results\">\n<tr><th>Contrast</th>";
  for (const auto& c : columns) s += "<th>" + html_escape(c) + "</th>";
  s += "</tr>\n";
  for (const auto& contrast : t.contrasts) {
    s += fmt::format("<tr><th title=\"{}\">{}<br><small>{}</small></th>",
                     html_escape(contrast.contrast.description),
                     html_escape(contrast.contrast.name), html_escape(contrast.formula));
    for (const auto& c : columns) {
      const auto& cell = contrast.cells.at(c);
      const int d = t.decimals;
      std::string text = cell.values.empty() ? "–" : format_signed(cell.summary.mean, d);
      if (cell.summary.ci95) text += " ± " + format_value(*cell.summary.ci95, d);
      if (!cell.values.empty()) text += fmt::format(" (n={})", cell.values.size());
      if (cell.test) text += fmt::format(", p={:.3g}", cell.test->p);
      if (cell.paper) text += "; paper " + format_signed(*cell.paper, d);
      const bool significant = cell.test && cell.test->p < 0.05;
      s += fmt::format("<td class=\"num{}\">{}</td>", significant ? " significant" : "",
                       html_escape(text));
    }
    s += "</tr>\n";
  }
  return s + fmt::format("</table></div>\n<p class=\"note\">{}; red: p &lt; 0.05.</p>\n",
                         html_escape(kContrastRule));
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string html_page(const std::string& title, const std::string& nav, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // Nothing leaves the machine: the browser refuses (and reports) any load that is not a file
      // of the site itself.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' "
      "data:; style-src 'unsafe-inline'\">\n"
      "<title>{0}</title>\n<style>{1}</style>\n</head>\n<body>\n<nav>{2}</nav>\n<h1>{0}</h1>\n{3}\n"
      "</body>\n</html>\n",
      html_escape(title), kStyle, nav, body);
}

std::string html_key_values(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string s = "<table>\n";
  for (const auto& [k, v] : pairs)
    s += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
  return s + "</table>\n";
}

std::string html_table(const ResultTable& t, const RunHref& run_href) {
  const auto columns = shown_columns(t);
  std::string s = "<div class=\"scroll\"><table class=\"results\">\n<tr><th>Model</th>";
  for (const auto& c : columns) s += "<th>" + html_escape(c) + "</th>";
  s += "</tr>\n";
  for (const auto& r : t.rows) {
    s += "<tr><th>" + html_escape(r) + "</th>";
    for (const auto& c : columns)
      s += "<td class=\"num\">" + cell_html(t, r, t.cells.at(r).at(c), run_href) + "</td>";
    s += "</tr>\n";
  }
  s += "</table></div>\n";
  s += fmt::format("<p class=\"note\">Metric <code>{}</code>, {}. {}.</p>\n",
                   html_escape(t.metric.key), html_escape(selection_text(t.metric)),
                   html_escape(kCi95Rule));
  if (!t.compare_to.empty())
    s += fmt::format("<p class=\"note\">{}; red: p &lt; 0.05.</p>\n", html_escape(compare_rule(t)));
  return s + contrasts_html(t, columns);
}

}  // namespace dfkd::host
