#include "report/run_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "report/gnuplot.hpp"
#include "report/sample_figure.hpp"

namespace dfkd::host {
namespace {

namespace fs = std::filesystem;

std::string overview(const RunRecord& run) {
  std::vector<std::pair<std::string, std::string>> rows{
      {"experiment", run.experiment},
      {"cell", fmt::format("{} / {} / seed {}", run.row, run.column, run.seed)},
      {"profile", run.profile},
      {"role, method", run.role + ", " + run.method},
      {"status", to_string(run.status)},
      {"attempts", std::to_string(run.attempt)},
      {"epochs done", std::to_string(run.epochs_done)},
      {"training time", fmt::format("{:.1f} s (all attempts)", run.wall_seconds)},
      {"created, started, finished",
       fmt::format("{}, {}, {}", run.created_at, run.started_at.empty() ? "–" : run.started_at,
                   run.finished_at.empty() ? "–" : run.finished_at)},
      {"run id", run.run_id},
      {"run key", run.run_key}};
  return html_key_values(rows);
}

std::string teacher_section(const ResultsStore& store, const RunRecord& run,
                            const RunHref& run_href) {
  if (run.parent_run_id.empty()) return "";
  std::string s = "<h2>Teacher</h2>\n<p>";
  const auto href = run_href(run.parent_run_id);
  s += href.empty() ? html_escape(run.parent_run_id.substr(0, 12))
                    : fmt::format("<a href=\"{}\">run {}</a>", html_escape(href),
                                  run.parent_run_id.substr(0, 12));
  if (const auto in = store.run_input(run.run_id, "teacher"))
    s += fmt::format("; learned from its weights with sha256 <code>{}</code>",
                     in->sha256.substr(0, 16));
  return s + "</p>\n";
}

/// Main-loop metrics only: "<stage>/<key>" metrics count their own epochs.
using Series = std::map<std::string, std::vector<MetricPoint>>;

Series main_loop_series(const ResultsStore& store, const RunRecord& run) {
  Series series;
  for (const auto& key : store.metric_keys(run.run_id))
    if (key.find('/') == std::string::npos) series[key] = store.metric_series(run.run_id, key);
  return series;
}

bool is_accuracy(const std::string& key) {
  return key.size() > 9 && key.compare(key.size() - 9, 9, "_accuracy") == 0;
}
bool is_loss_or_regularizer(const std::string& key) {
  return key.find("loss") != std::string::npos || key.rfind("reg_", 0) == 0;
}

/// Accuracies and losses (with regularizer values) over epochs, two panels side by side.
fs::path draw_curves(const Series& series, const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream data(dir / "metrics.csv");
  data << "key,epoch,value\n";
  std::string accuracy_keys, loss_keys;
  int64_t last_epoch = 1;
  for (const auto& [key, points] : series) {
    for (const auto& p : points) {
      data << fmt::format("{},{},{:.8g}\n", key, p.epoch, p.value);
      last_epoch = std::max(last_epoch, p.epoch);
    }
    if (is_accuracy(key)) accuracy_keys += (accuracy_keys.empty() ? "" : " ") + key;
    if (is_loss_or_regularizer(key)) loss_keys += (loss_keys.empty() ? "" : " ") + key;
  }
  data.close();
  const auto figure = dir / (std::string("curves") + figure_extension(FigureFormat::Svg));
  auto panel = [&](const std::string& keys, const std::string& ylabel) {
    if (keys.empty())  // gnuplot refuses a plot with no defined point: an empty frame instead
      return std::string(
          "set label 1 'none logged' at graph 0.4, 0.5\nset yrange [0:1]\nunset ytics\n"
          "plot 2 notitle\nunset label 1\nset autoscale y\nset ytics\n");
    return fmt::format(
        "set ylabel '{}'\nplot for [k in \"{}\"] 'metrics.csv' skip 1 using 2:(strcol(1) eq k ? "
        "$3 : 1/0) with linespoints lw 2 pt 7 ps 0.5 title k\n",
        ylabel, keys);
  };
  std::ofstream gp(dir / "curves.gp");
  gp << gnuplot_terminal(FigureFormat::Svg, 1000, 440)
     << fmt::format(
            "set output '{}'\nset datafile separator ','\nset key below noenhanced\n"
            "set grid lc rgb '#dddddd'\nset xlabel 'epoch'\n",
            figure.filename().string())
     << integer_x_axis(last_epoch) << "set multiplot layout 1,2\n"
     << panel(accuracy_keys, "accuracy (%)") << panel(loss_keys, "loss / regularizer value")
     << "unset multiplot\n";
  gp.close();
  run_gnuplot(dir, dir / "curves.gp");
  return figure;
}

/// Every main-loop metric, one row per epoch.
std::string metrics_table(const Series& series) {
  std::set<int64_t> epochs;
  for (const auto& [key, points] : series)
    for (const auto& p : points) epochs.insert(p.epoch);
  std::string s = "<div class=\"scroll\"><table>\n<tr><th>epoch</th>";
  for (const auto& [key, points] : series) s += "<th>" + html_escape(key) + "</th>";
  s += "</tr>\n";
  for (int64_t e : epochs) {
    s += fmt::format("<tr><td class=\"num\">{}</td>", e);
    for (const auto& [key, points] : series) {
      auto it = std::find_if(points.begin(), points.end(),
                             [e](const MetricPoint& p) { return p.epoch == e; });
      s += it == points.end() ? "<td></td>"
                              : fmt::format("<td class=\"num\">{:.4g}</td>", it->value);
    }
    s += "</tr>\n";
  }
  return s + "</table></div>\n";
}

std::string summaries_table(const ResultsStore& store, const RunRecord& run) {
  const auto summaries = store.summaries(run.run_id);
  if (summaries.empty()) return "";
  std::string s =
      "<h2>Summaries</h2>\n<table>\n<tr><th>metric</th><th>final</th><th>best</th>"
      "<th>best epoch</th><th>best is</th></tr>\n";
  for (const auto& m : summaries)
    s += fmt::format(
        "<tr><td>{}</td><td class=\"num\">{:.4g}</td><td class=\"num\">{:.4g}</td><td "
        "class=\"num\">{}</td><td>{}</td></tr>\n",
        html_escape(m.key), m.final_value, m.best_value, m.best_epoch, m.mode);
  return s + "</table>\n";
}

std::string artifacts_table(const ResultsStore& store, const RunRecord& run) {
  const auto artifacts = store.artifacts(run.run_id);
  if (artifacts.empty()) return "";
  std::string s =
      "<h2>Artifacts</h2>\n<table>\n<tr><th>kind</th><th>file (in the store's "
      "folder)</th><th>bytes</th><th>sha256</th></tr>\n";
  for (const auto& a : artifacts)
    s += fmt::format(
        "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td><code>{}"
        "</code></td></tr>\n",
        html_escape(a.kind), html_escape(a.path), a.bytes, a.sha256.substr(0, 16));
  return s + "</table>\n";
}

std::string environment_table(const ResultsStore& store, const RunRecord& run) {
  if (run.environment_id.empty()) return "";
  const auto env = store.environment(run.environment_id);
  if (!env) return "";
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"machine", env->machine()},
      {"hostname", env->hostname},
      {"git commit", env->git_commit + (env->git_dirty ? " (uncommitted changes)" : "")},
      {"compiler", env->compiler},
      {"LibTorch", env->torch_version},
      {"device", env->device},
      {"threads", std::to_string(env->threads)},
      {"BLAS", env->blas}};
  return "<h2>Environment (last attempt)</h2>\n" + html_key_values(pairs);
}

/// An <img> of a figure drawn by `draw`, or the reason it could not be drawn.
template <class Draw>
std::string figure_or_error(const std::string& heading, const fs::path& page_dir, Draw draw) {
  try {
    const std::optional<fs::path> figure = draw();
    if (!figure) return "";
    return fmt::format("<h2>{}</h2>\n<img src=\"{}\" alt=\"{}\">\n", heading,
                       html_escape(fs::relative(*figure, page_dir).generic_string()),
                       html_escape(heading));
  } catch (const std::exception& e) {
    return fmt::format("<h2>{}</h2>\n<p class=\"error\">not drawn: {}</p>\n", heading,
                       html_escape(e.what()));
  }
}

}  // namespace

fs::path write_run_page(const ResultsStore& store, const RunRecord& run, const fs::path& runs_dir,
                        const RunPageLinks& links) {
  const auto files = runs_dir / run.run_id;
  std::string body = overview(run);
  if (!run.error.empty())
    body += "<h2>Error</h2>\n<pre class=\"error\">" + html_escape(run.error) + "</pre>\n";
  body += teacher_section(store, run, links.run_href);
  const Series series = main_loop_series(store, run);
  if (!series.empty()) {
    body += figure_or_error("Curves", runs_dir, [&]() -> std::optional<fs::path> {
      return draw_curves(series, files);
    });
    body += "<h2>Metrics per epoch</h2>\n" + metrics_table(series);
  }
  body += figure_or_error("Generated samples", runs_dir, [&] {
    return draw_generated_sample(store, run, files, FigureFormat::Svg);
  });
  body += summaries_table(store, run) + artifacts_table(store, run) + environment_table(store, run);
  body += "<h2>Configuration</h2>\n<pre>" + html_escape(run.config.dump(2)) + "</pre>\n";
  const auto page = runs_dir / (run.run_id + ".html");
  const auto title =
      fmt::format("{} / {} / {} / seed {}", run.experiment, run.row, run.column, run.seed);
  std::ofstream(page) << html_page(title, links.nav, body);
  return page;
}

}  // namespace dfkd::host
