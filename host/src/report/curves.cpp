#include "report/curves.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "dfkd/errors.hpp"
#include "report/gnuplot.hpp"
#include "report/selection.hpp"
#include "report/statistics.hpp"

namespace dfkd::host {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

/// A figure data file's "mean,std,n" fields; std is empty for one seed (unknown, not 0).
std::string mean_std_n(const SampleSummary& s) {
  return fmt::format("{:.6g},{},{}", s.mean, s.std ? fmt::format("{:.6g}", *s.std) : "", s.n);
}

/// Legend entry: the row and its seed count.
std::string legend(const std::string& name, size_t n) {
  return gnuplot_quote(fmt::format("{} (n={})", name, n));
}

std::string epoch_label(const MetricSelection& m) {
  return m.selection == "best_val" ? fmt::format("epoch of best {}", kValidationMetric)
                                   : m.selection + " epoch";
}

constexpr const char* kBandRule = "mean ± sample std over n seeds (none for n = 1)";

/// The completed runs of an experiment's cells under one profile, by (row, column): one read of
/// the store per figure, not one per plotted point.
class CompletedRuns {
 public:
  CompletedRuns(const ResultsStore& store, const std::string& experiment,
                const std::string& profile) {
    for (const auto& c : store.cells(experiment, profile)) {
      auto run = store.find_run_by_key(c.run_key);
      if (run && run->status == RunStatus::Completed) by_cell_[{c.row, c.column}].push_back(*run);
    }
  }
  const std::vector<RunRecord>& of(const std::string& row, const std::string& column) const {
    static const std::vector<RunRecord> none;
    auto it = by_cell_.find({row, column});
    return it == by_cell_.end() ? none : it->second;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::vector<RunRecord>> by_cell_;
};

std::vector<std::string> figure_rows(const Experiment& exp, const Figure& fig) {
  if (fig.spec.contains("rows")) return fig.spec.at("rows").get<std::vector<std::string>>();
  std::vector<std::string> rows;
  for (const auto& r : exp.rows)
    if (!r.contains("teacher")) rows.push_back(r.at("name"));
  return rows;
}

std::string not_run(const Experiment& exp, const Figure& fig, const std::string& what) {
  return fmt::format(
      "figure {} of {} (profile {}): {} has no completed runs in this store; run `dfkd run "
      "experiments/{}.json --profile {}` first",
      fig.name, exp.name, exp.profile, what, exp.name, exp.profile);
}

// Distinguishable on white and in greyscale print, one per row in order.
const char* kColours[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                          "#66a61e", "#e6ab02", "#a6761d", "#666666"};

std::string preamble(FigureFormat format, const fs::path& image, const std::string& title,
                     const std::string& xlabel, const std::string& ylabel) {
  return gnuplot_terminal(format, 720, 600) +
         fmt::format(
             "set output {}\nset title {} noenhanced\n"
             // The legend goes under the plot: inside, it covers curves wherever they happen to be.
             "set datafile separator ','\nset xlabel {} noenhanced\nset ylabel {} noenhanced\n"
             "set key below noenhanced\n"
             "set grid lc rgb '#dddddd'\nset style fill transparent solid 0.18 noborder\n",
             gnuplot_quote(image.filename().string()), title, gnuplot_quote(xlabel),
             gnuplot_quote(ylabel));
}

std::string metric_label(const std::string& key) {
  return key == "test_accuracy" ? "test accuracy (%)" : key;
}
std::string metric_label(const Experiment& exp) {
  return metric_label(exp.metric.key);
}

}  // namespace

fs::path accuracy_over_epochs(const Experiment& exp, const Figure& fig, const ResultsStore& store,
                              const fs::path& dir, FigureFormat format) {
  if (!fig.spec.contains("column"))
    throw ConfigError(
        fmt::format("figure {}: kind accuracy_over_epochs needs \"column\"", fig.name));
  const std::string column = fig.spec.at("column");
  // Any per-epoch metric (e.g. conv_weights_near_zero); the experiment's metric by default.
  const std::string key = fig.spec.value("metric", exp.metric.key);
  const auto csv = dir / (fig.name + ".csv");
  const auto image = dir / (fig.name + figure_extension(format));
  std::ofstream data(csv);
  data << "row,epoch,mean,std,n\n";
  std::string plots;
  size_t i = 0, drawn = 0;
  int64_t last_epoch = 1;
  const CompletedRuns completed(store, exp.name, exp.profile);
  for (const auto& row : figure_rows(exp, fig)) {
    const auto& runs = completed.of(row, column);
    const char* colour = kColours[i++ % std::size(kColours)];
    if (runs.empty()) {
      fmt::print(stderr, "figure {}: row '{}' has no completed runs on {}; left out\n", fig.name,
                 row, column);
      continue;
    }
    // Epochs every seed has reached: a curve never mixes n.
    std::map<int64_t, std::vector<double>> by_epoch;
    for (const auto& run : runs)
      for (const auto& p : store.metric_series(run.run_id, key))
        by_epoch[p.epoch].push_back(p.value);
    if (by_epoch.empty()) {
      fmt::print(stderr, "figure {}: row '{}' logged no {} on {}; left out\n", fig.name, row, key,
                 column);
      continue;
    }
    for (const auto& [epoch, values] : by_epoch) {
      if (values.size() != runs.size()) continue;
      last_epoch = std::max(last_epoch, epoch);
      data << fmt::format("{},{},{}\n", row, epoch, mean_std_n(summarize(values)));
    }
    const auto file = csv.filename().string();
    const auto sel = fmt::format("(strcol(1) eq {} ? ", gnuplot_quote(row));
    if (runs.size() > 1)  // one seed has no spread to draw
      plots += fmt::format(
          "{}'{}' skip 1 using 2:{}$3-$4 : 1/0):($3+$4) with filledcurves lc rgb '{}' notitle",
          plots.empty() ? "" : ", ", file, sel, colour);
    // A marker every point_step epochs: a run of one epoch is still a visible point.
    plots += fmt::format(
        "{}'{}' skip 1 using 2:{}$3 : 1/0) with linespoints lw 2 pt 7 ps 0.6 pi point_step lc rgb "
        "'{}' title {}",
        plots.empty() ? "" : ", ", file, sel, colour, legend(row, runs.size()));
    ++drawn;
  }
  data.close();
  if (drawn == 0) throw ConfigError(not_run(exp, fig, fmt::format("column '{}'", column)));
  const std::string title = gnuplot_two_line_title(
      fig.spec.value("title", fmt::format("{} over epochs on {}", metric_label(key), column)),
      fmt::format("profile {}, {}", exp.profile, kBandRule));
  std::ofstream gp(fs::path(image).replace_extension(".gp"));
  gp << preamble(format, image, title, "epoch", metric_label(key)) << integer_x_axis(last_epoch)
     << "point_step = " << std::max<int64_t>(1, last_epoch / 20) << "\nplot " << plots << "\n";
  gp.close();
  run_gnuplot(dir, fs::path(image).replace_extension(".gp"));
  return image;
}

namespace {

using LabelledPoints = std::vector<std::pair<std::string, double>>;  ///< (column, labelled images)

// A point's x is its labelled images; "x_by_profile" gives a profile's own count where it differs
// (the cpu profile holds 5,000 of MNIST's 60,000 out for validation).
LabelledPoints labelled_points(const Figure& fig, const std::string& profile) {
  const auto usage = fmt::format(
      "figure {}: kind accuracy_vs_labelled needs \"points\": [{{\"column\": NAME, \"x\": "
      "labelled images, optional \"x_by_profile\": {{PROFILE: images}}}}, ...]",
      fig.name);
  if (!fig.spec.contains("points") || !fig.spec.at("points").is_array() ||
      fig.spec.at("points").empty())
    throw ConfigError(usage);
  LabelledPoints points;
  for (const auto& p : fig.spec.at("points")) {
    if (!p.is_object() || !p.contains("column") || !p.at("column").is_string() ||
        !p.contains("x") || !p.at("x").is_number())
      throw ConfigError(fmt::format("{}; found {}", usage, p.dump()));
    double x = p.at("x").get<double>();
    if (p.contains("x_by_profile")) {
      const auto& by = p.at("x_by_profile");
      if (!by.is_object() || (by.contains(profile) && !by.at(profile).is_number()))
        throw ConfigError(fmt::format("{}; found {}", usage, p.dump()));
      if (by.contains(profile)) x = by.at(profile).get<double>();
    }
    points.emplace_back(p.at("column").get<std::string>(), x);
  }
  return points;
}

/// The figure's data file and gnuplot plot clauses as rows and references are added to them.
struct LabelledPlot {
  std::ofstream data;
  std::string file;   ///< the data file's name, as gnuplot reads it from the figure's folder
  std::string plots;  ///< the comma-separated clauses of the plot command
  size_t series = 0;  ///< series drawn so far; picks each one's colour
  double x0 = 0, x1 = 0;

  const char* next_colour() { return kColours[series++ % std::size(kColours)]; }
  void add(const std::string& clause) { plots += (plots.empty() ? "" : ", ") + clause; }
};

/// One row's mean ± std per labelled-data point (error bars); false when the row has no completed
/// run.
bool add_labelled_row(LabelledPlot& plot, const std::string& row, const LabelledPoints& points,
                      const CompletedRuns& completed, const ResultsStore& store,
                      const Experiment& exp) {
  size_t n_min = SIZE_MAX, n_max = 0;
  for (const auto& [column, x] : points) {
    std::vector<double> values;
    for (const auto& run : completed.of(row, column))
      if (auto v = selected_value(store, run, exp.metric)) values.push_back(*v);
    if (values.empty()) continue;
    n_min = std::min(n_min, values.size());
    n_max = std::max(n_max, values.size());
    plot.data << fmt::format("{},{},{},{}\n", row, x, column, mean_std_n(summarize(values)));
  }
  const char* colour = plot.next_colour();
  if (n_max == 0) return false;
  // gnuplot drops a point whose std field is empty (one seed): draw it with a zero-length bar.
  const auto y = fmt::format("(strcol(1) eq {} ? $4 : 1/0)", gnuplot_quote(row));
  const auto style = n_max > 1 ? y + ":(strlen(strcol(5)) == 0 ? 0 : column(5)) with yerrorlines"
                               : y + " with linespoints";
  plot.add(
      fmt::format("'{}' skip 1 using 2:{} lw 2 pt 7 lc rgb '{}' title {}", plot.file, style, colour,
                  gnuplot_quote(n_min == n_max ? fmt::format("{} (n={})", row, n_max)
                                               : fmt::format("{} (n={}..{})", row, n_min, n_max))));
  return true;
}

/// A row that uses no labelled data, flat at its mean ± std across the whole x range; false when
/// it has no completed run.
bool add_reference(LabelledPlot& plot, const json& ref, const Figure& fig,
                   const ResultsStore& store, const Experiment& exp) {
  const std::string ref_exp = ref.at("experiment"), row = ref.at("row"), column = ref.at("column");
  const char* colour = plot.next_colour();
  std::vector<double> values;
  const CompletedRuns ref_runs(store, ref_exp, exp.profile);
  for (const auto& run : ref_runs.of(row, column))
    if (auto v = selected_value(store, run, exp.metric)) values.push_back(*v);
  if (values.empty()) {
    fmt::print(stderr,
               "figure {}: reference {} / {} of {} has no completed runs in profile {}; left out "
               "(run `dfkd run experiments/{}.json --profile {} --only {}`)\n",
               fig.name, row, column, ref_exp, exp.profile, ref_exp, exp.profile, row);
    return false;
  }
  const auto s = summarize(values);
  const std::string label =
      ref.value("label", fmt::format("{} ({}, no labelled data)", row, ref_exp));
  for (double x : {plot.x0, plot.x1})
    plot.data << fmt::format("{},{},{},{}\n", label, x, ref_exp + ":" + column, mean_std_n(s));
  const auto sel = fmt::format("(strcol(1) eq {} ? ", gnuplot_quote(label));
  if (s.std)  // one seed has no spread to draw
    plot.add(fmt::format(
        "'{}' skip 1 using 2:{}$4-$5 : 1/0):($4+$5) with filledcurves lc rgb '{}' notitle",
        plot.file, sel, colour));
  plot.add(fmt::format("'{}' skip 1 using 2:{}$4 : 1/0) with lines lw 2 dt 2 lc rgb '{}' title {}",
                       plot.file, sel, colour, legend(label, s.n)));
  return true;
}

}  // namespace

fs::path accuracy_vs_labelled(const Experiment& exp, const Figure& fig, const ResultsStore& store,
                              const fs::path& dir, FigureFormat format) {
  const LabelledPoints points = labelled_points(fig, exp.profile);
  const auto csv = dir / (fig.name + ".csv");
  const auto image = dir / (fig.name + figure_extension(format));
  LabelledPlot plot;
  plot.data.open(csv);
  plot.data << "row,labelled,column,mean,std,n\n";
  plot.file = csv.filename().string();
  plot.x0 = plot.x1 = points.front().second;
  for (const auto& [c, x] : points) plot.x0 = std::min(plot.x0, x), plot.x1 = std::max(plot.x1, x);

  size_t drawn = 0;
  const CompletedRuns completed(store, exp.name, exp.profile);
  for (const auto& row : figure_rows(exp, fig)) {
    if (add_labelled_row(plot, row, points, completed, store, exp))
      ++drawn;
    else
      fmt::print(stderr, "figure {}: row '{}' has no completed runs; left out\n", fig.name, row);
  }
  for (const auto& ref : fig.spec.value("references", json::array()))
    if (add_reference(plot, ref, fig, store, exp)) ++drawn;
  plot.data.close();
  if (drawn == 0) throw ConfigError(not_run(exp, fig, "no row"));

  const std::string title = gnuplot_two_line_title(
      fig.spec.value("title", fmt::format("{} vs labelled data", metric_label(exp))),
      fmt::format("profile {}, {}, {}", exp.profile, epoch_label(exp.metric), kBandRule));
  std::ofstream gp(fs::path(image).replace_extension(".gp"));
  gp << preamble(format, image, title, "labelled training images (log scale)", metric_label(exp))
     << "set logscale x\nset xrange [" << plot.x0 / 1.5 << ":" << plot.x1 * 1.5 << "]\nplot "
     << plot.plots << "\n";
  gp.close();
  run_gnuplot(dir, fs::path(image).replace_extension(".gp"));
  return image;
}

}  // namespace dfkd::host
