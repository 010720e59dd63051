#include "report/site.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <set>

#include "dfkd/errors.hpp"
#include "report/html.hpp"
#include "report/plot.hpp"
#include "report/run_page.hpp"
#include "report/table.hpp"

namespace dfkd::host {
namespace {

namespace fs = std::filesystem;

/// A file name from experiment and profile names (which may hold spaces or slashes).
std::string page_stem(const std::string& experiment, const std::string& profile) {
  std::string s = experiment + "-" + profile;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return s;
}

std::string utc_now() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/// Every run linked to any cell of the table, whatever its status.
std::vector<std::string> run_ids_of(const ResultTable& table) {
  std::vector<std::string> ids;
  for (const auto& [r, row] : table.cells)
    for (const auto& [c, cell] : row)
      for (const auto& [seed, id] : cell.runs) ids.push_back(id);
  return ids;
}

/// A run page's link from a page at the site's top (index and table pages).
std::string run_page_href(const std::string& run_id) {
  return "runs/" + run_id + ".html";
}

/// Each table's runs and, transitively, their teachers (which may belong to another experiment).
std::map<std::string, RunRecord> runs_to_report(const ResultsStore& store,
                                                const std::vector<ResultTable>& tables) {
  std::map<std::string, RunRecord> runs;
  std::vector<std::string> todo;
  for (const auto& t : tables)
    for (const auto& id : run_ids_of(t)) todo.push_back(id);
  while (!todo.empty()) {
    const auto id = todo.back();
    todo.pop_back();
    if (runs.count(id)) continue;
    auto run = store.find_run(id);
    if (!run) continue;
    if (!run->parent_run_id.empty()) todo.push_back(run->parent_run_id);
    runs.emplace(id, std::move(*run));
  }
  return runs;
}

/// Draws the experiment's figures as SVG into `dir`; returns <img> tags of those drawn and the
/// reason for those not drawn.
std::string figures_section(const Experiment& exp, const PluginHost& plugins,
                            const ResultsStore& store, const fs::path& site, const fs::path& dir) {
  if (exp.figures.empty()) return "";
  std::string s = "<h2>Figures</h2>\n";
  fs::remove_all(dir);
  try {
    plot_experiment(exp, plugins, store, dir, FigureFormat::Svg);
  } catch (const std::exception& e) {
    // Figures without data are named in the message; the others were drawn.
    s += "<p class=\"error\">" + html_escape(e.what()) + "</p>\n";
  }
  std::vector<fs::path> drawn;
  if (fs::exists(dir))
    for (const auto& f : fs::directory_iterator(dir))
      if (f.path().extension() == ".svg") drawn.push_back(f.path());
  std::sort(drawn.begin(), drawn.end());
  for (const auto& f : drawn)
    s += fmt::format(
        "<figure><img src=\"{0}\" alt=\"{1}\"><figcaption class=\"muted\">{1} (data and gnuplot "
        "script beside it in {2})</figcaption></figure>\n",
        html_escape(fs::relative(f, site).generic_string()), html_escape(f.stem().string()),
        html_escape(fs::relative(dir, site).generic_string()));
  return s;
}

std::string runs_section(const ResultTable& table, const std::map<std::string, RunRecord>& runs) {
  std::string s =
      "<h2>Runs</h2>\n<table>\n<tr><th>row</th><th>column</th><th>seed</th><th>status</th>"
      "<th>epochs</th><th>training time</th><th>run</th></tr>\n";
  for (const auto& r : table.rows)
    for (const auto& c : table.columns)
      for (const auto& [seed, id] : table.cells.at(r).at(c).runs) {
        const auto it = runs.find(id);
        if (it == runs.end()) continue;  // gone from the store since the table was read
        const auto& run = it->second;
        const std::string status = to_string(run.status);
        s += fmt::format(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"status-{}\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{:.1f} s</td><td><a "
            "href=\"{}\"><code>{}</code></a></td></tr>\n",
            html_escape(r), html_escape(c), seed, status, status, run.epochs_done, run.wall_seconds,
            run_page_href(id), id.substr(0, 12));
      }
  return s + "</table>\n";
}

std::string experiment_page(const ReportedExperiment& reported, const ResultTable& table,
                            const std::map<std::string, RunRecord>& runs,
                            const std::string& figures) {
  const auto& exp = reported.experiment;
  std::string body = fmt::format(
      "<p>Profile <code>{}</code>{}. Source: <code>{}</code>.</p>\n", html_escape(exp.profile),
      exp.profile_description.empty() ? "" : " (" + html_escape(exp.profile_description) + ")",
      html_escape(reported.source_hint));
  body += "<h2>Table</h2>\n" + html_table(table, run_page_href);
  // Columns the profile does not run are not shown (report/html.cpp), nor how to add them.
  auto commands = fill_commands(table);
  commands.erase(std::remove_if(commands.begin(), commands.end(),
                                [](const std::string& c) {
                                  return c.find("not in this profile's datasets") !=
                                         std::string::npos;
                                }),
                 commands.end());
  if (!commands.empty()) {
    body +=
        "<p>Cells without results, or with fewer seeds than the profile's; fill them "
        "with:</p>\n<pre>";
    for (const auto& c : commands) body += html_escape(c) + "\n";
    body += "</pre>\n";
  }
  body += figures + runs_section(table, runs);
  return html_page(exp.title.empty() ? exp.name : exp.title,
                   "<a href=\"index.html\">all experiments</a>", body);
}

std::string index_entry(const ResultTable& table, const std::map<std::string, RunRecord>& runs,
                        const std::string& href) {
  std::map<std::string, int> by_status;
  for (const auto& id : run_ids_of(table))
    if (const auto it = runs.find(id); it != runs.end()) ++by_status[to_string(it->second.status)];
  std::string counts;
  for (const auto& [status, n] : by_status)
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, status);
  return fmt::format(
      "<tr><td><a href=\"{}\">{}</a></td><td><code>{}</code></td><td>{}</td><td>{}</td>"
      "<td class=\"num\">{:.0f} s{}</td></tr>\n",
      html_escape(href), html_escape(table.title.empty() ? table.experiment : table.title),
      html_escape(table.experiment), html_escape(table.profile),
      counts.empty() ? "no runs" : counts, table.wall_seconds, html_escape(machines_text(table)));
}

}  // namespace

fs::path write_report(const ResultsStore& store, const PluginHost& plugins,
                      const std::vector<ReportedExperiment>& experiments,
                      const ReportOptions& options, const fs::path& out) {
  fs::create_directories(out / "runs");
  std::vector<ResultTable> tables;
  std::string unlogged;  // why the first table without options.metric kept its own
  bool any_logged = false;
  for (const auto& e : experiments) {
    if (options.metric.empty()) {
      tables.push_back(build_table(store, e.experiment, e.source_hint));
    } else {
      try {
        tables.push_back(build_table_of_metric(store, e.experiment, e.source_hint, options.metric));
        any_logged = true;
      } catch (const ConfigError& error) {
        if (unlogged.empty()) unlogged = error.what();
        tables.push_back(build_table(store, e.experiment, e.source_hint));
      }
    }
    const auto& rows = tables.back().rows;
    if (!options.compare_to.empty() &&
        std::find(rows.begin(), rows.end(), options.compare_to) != rows.end())
      compare_rows(tables.back(), options.compare_to);
  }
  // A metric that no table's runs log is a typo or the wrong experiment, not a choice to honour.
  if (!options.metric.empty() && !any_logged) throw ConfigError(unlogged);
  const auto runs = runs_to_report(store, tables);

  std::string index_rows, index_tables;
  for (size_t i = 0; i < experiments.size(); ++i) {
    const auto& exp = experiments[i].experiment;
    const auto stem = page_stem(exp.name, exp.profile);
    const auto figures = figures_section(exp, plugins, store, out, out / "figures" / stem);
    std::ofstream(out / (stem + ".html"))
        << experiment_page(experiments[i], tables[i], runs, figures);
    index_rows += index_entry(tables[i], runs, stem + ".html");
    // The front page shows every table too: the numbers are what one opens the report for.
    index_tables += fmt::format(
                        "<h2><a href=\"{}.html\">{}</a> <span class=\"muted\">({}, profile "
                        "{})</span></h2>\n",
                        html_escape(stem), html_escape(exp.title.empty() ? exp.name : exp.title),
                        html_escape(exp.name), html_escape(exp.profile)) +
                    html_table(tables[i], run_page_href);
  }
  // A run's page links back to every table of the site that shows it (a teacher may be in none).
  std::map<std::string, std::string> tables_of_run;
  for (const auto& t : tables)
    for (const auto& id : run_ids_of(t))
      tables_of_run[id] += fmt::format(" · <a href=\"../{}.html\">{} ({})</a>",
                                       html_escape(page_stem(t.experiment, t.profile)),
                                       html_escape(t.experiment), html_escape(t.profile));
  for (const auto& [id, run] : runs) {
    RunPageLinks links;
    links.run_href = [&runs](const std::string& other) {
      return runs.count(other) ? other + ".html" : std::string();
    };
    links.nav = "<a href=\"../index.html\">all experiments</a>" + tables_of_run[id];
    write_run_page(store, run, out / "runs", links);
  }
  const auto body = fmt::format(
      "<p class=\"muted\">Drawn from <code>{}</code> by {} at {}: {} tables, {} runs.</p>\n"
      "<table>\n<tr><th>experiment</th><th>name</th><th>profile</th><th>runs</th>"
      "<th>training time</th></tr>\n{}</table>\n{}",
      html_escape(store.path().string()), html_escape(options.generated_by), utc_now(),
      tables.size(), runs.size(), index_rows, index_tables);
  const auto index = out / "index.html";
  std::ofstream(index) << html_page("dfkd results", "", body);
  return index;
}

}  // namespace dfkd::host
