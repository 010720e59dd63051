#include "report/plot.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "config/run_config.hpp"
#include "dfkd/errors.hpp"
#include "engine/engine.hpp"
#include "report/curves.hpp"
#include "report/gnuplot.hpp"

namespace dfkd::host {
namespace {

namespace fs = std::filesystem;

struct Bounds {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  void include(const torch::Tensor& pts) {
    auto p = pts.to(torch::kDouble);
    x0 = std::min(x0, p.select(1, 0).min().item<double>());
    x1 = std::max(x1, p.select(1, 0).max().item<double>());
    y0 = std::min(y0, p.select(1, 1).min().item<double>());
    y1 = std::max(y1, p.select(1, 1).max().item<double>());
  }
  Bounds padded(double f) const {
    const double dx = (x1 - x0) * f, dy = (y1 - y0) * f;
    return {x0 - dx, x1 + dx, y0 - dy, y1 + dy};
  }
};

void write_points(const fs::path& file, const torch::Tensor& x, const torch::Tensor& label,
                  const std::string& label_name) {
  std::ofstream out(file);
  out << "# x1,x2," << label_name << "\n";
  auto xa = x.to(torch::kDouble).contiguous();
  auto la = label.to(torch::kLong).contiguous();
  for (int64_t i = 0; i < x.size(0); ++i)
    out << fmt::format("{:.6g},{:.6g},{}\n", xa[i][0].item<double>(), xa[i][1].item<double>(),
                       la[i].item<int64_t>());
}

/// The panel's format follows its file's extension.
std::string header(const fs::path& image, const std::string& title, const Bounds& b) {
  const auto format = image.extension() == ".svg" ? FigureFormat::Svg : FigureFormat::Png;
  return gnuplot_terminal(format, 640, 620) +
         fmt::format(
             "set output '{}'\nset title '{}'\n"
             "set datafile separator ','\nset xrange [{:.4g}:{:.4g}]\nset yrange [{:.4g}:{:.4g}]\n"
             "set xlabel 'x_1 (standardised)'\nset ylabel 'x_2 (standardised)'\nset key below\n"
             "unset colorbox\nset palette defined (0 '#c6dbef', 0.499 '#c6dbef', 0.501 '#fcbba1', "
             "1 "
             "'#fcbba1')\n"
             "set cbrange [0:1]\n",
             image.filename().string(), title, b.x0, b.x1, b.y0, b.y1);
}

const char* kPoints0 = "lc rgb '#08519c' pt 7 ps 0.45";
const char* kPoints1 = "lc rgb '#a50f15' pt 7 ps 0.45";

std::string points(const std::string& csv, const std::string& what) {
  return fmt::format(
      "'{0}' using 1:($3==0?$2:1/0) with points {1} title '{2} 0', "
      "'{0}' using 1:($3==1?$2:1/0) with points {3} title '{2} 1'",
      csv, kPoints0, what, kPoints1);
}

/// The figure's completed runs in one column: the teacher's and, per row, the run of one seed.
struct PanelRuns {
  RunRecord teacher;
  std::map<std::string, RunRecord> by_row;
};

PanelRuns find_panel_runs(const Experiment& exp, const Figure& fig, const ResultsStore& store,
                          const std::string& column, int64_t seed) {
  std::string teacher_row;
  for (const auto& r : exp.rows)
    if (r.contains("teacher")) teacher_row = r.at("name");
  std::optional<RunRecord> teacher;
  std::map<std::string, RunRecord> by_row;
  for (const auto& c : store.cells(exp.name, exp.profile)) {
    if (c.column != column) continue;
    auto run = store.find_run_by_key(c.run_key);
    if (!run || run->status != RunStatus::Completed) continue;
    if (c.row == teacher_row)
      teacher = run;
    else if (c.seed == seed)
      by_row.emplace(c.row, *run);
  }
  if (!teacher)
    throw ConfigError(
        fmt::format("figure {}: no completed teacher run for column '{}' in profile '{}'; "
                    "run `dfkd run` for this experiment and profile first",
                    fig.name, column, exp.profile));
  return {*teacher, std::move(by_row)};
}

using GeneratedPoints = std::map<std::string, std::pair<torch::Tensor, torch::Tensor>>;

/// Each listed row's saved generator sample (points, teacher's predictions), if its run has one.
GeneratedPoints load_generated(const ResultsStore& store,
                               const std::map<std::string, RunRecord>& by_row,
                               const std::vector<std::string>& rows) {
  GeneratedPoints generated;
  for (const auto& row : rows) {
    auto it = by_row.find(row);
    if (it == by_row.end()) continue;
    const auto arts = store.artifacts(it->second.run_id, "generated");
    if (arts.empty()) continue;
    const fs::path f = store.artifact_file(arts.back());
    torch::serialize::InputArchive a;
    a.load_from(f.string());
    torch::Tensor x, pred;
    a.read("x", x);
    a.read("teacher_pred", pred);
    generated[row] = {x, pred};
  }
  return generated;
}

/// Panel (c): the training data.
fs::path write_data_panel(const fs::path& base, const Split& train, const Bounds& b,
                          FigureFormat format) {
  const auto csv = fs::path(base.string() + "_c_data.csv");
  const auto image = fs::path(base.string() + "_c_data" + figure_extension(format));
  write_points(csv, train.x, train.y, "label");
  std::ofstream gp(base.string() + "_c_data.gp");
  gp << header(image, "(c) two-moons training data", b) << "plot "
     << points(csv.filename(), "class") << "\n";
  return image;
}

/// The teacher's probability of class 1 on a grid over the plot, as CSV; returns the file.
fs::path write_teacher_grid(const fs::path& base, Model& teacher, const Bounds& b) {
  const int n = 160;
  auto gx = torch::linspace(b.x0, b.x1, n, torch::kDouble);
  auto gy = torch::linspace(b.y0, b.y1, n, torch::kDouble);
  auto grid = torch::stack({gx.repeat({n}), gy.repeat_interleave(n)}, 1).to(torch::kFloat);
  torch::Tensor prob;
  {
    torch::InferenceMode guard;
    prob = torch::softmax(teacher.forward(grid).logits, 1).select(1, 1).to(torch::kDouble);
  }
  const auto grid_csv = fs::path(base.string() + "_d_teacher_grid.csv");
  std::ofstream g(grid_csv);
  g << "# x1,x2,teacher_p(class 1)\n";
  auto ga = grid.to(torch::kDouble);
  for (int64_t i = 0; i < grid.size(0); ++i)
    g << fmt::format("{:.5g},{:.5g},{:.5g}\n", ga[i][0].item<double>(), ga[i][1].item<double>(),
                     prob[i].item<double>());
  return grid_csv;
}

/// The gnuplot script of a panel drawn over the teacher's decision boundary.
void write_boundary_panel(const fs::path& image, const std::string& title,
                          const std::string& overlay, const fs::path& grid_csv, const Bounds& b) {
  std::ofstream gp(fs::path(image).replace_extension(".gp"));
  gp << header(image, title, b) << "plot '" << grid_csv.filename().string()
     << "' using 1:2:3 with image notitle, " << overlay << "\n";
}

/// Panels (e), (f), ...: each row's generated points, coloured by the teacher's prediction.
void write_generated_panels(const fs::path& base, const Figure& fig,
                            const std::vector<std::string>& rows, const GeneratedPoints& generated,
                            int64_t seed, const fs::path& grid_csv, const Bounds& b,
                            FigureFormat format, std::vector<fs::path>& out) {
  char panel = 'e';
  for (const auto& row : rows) {
    auto it = generated.find(row);
    if (it == generated.end()) {
      fmt::print(stderr,
                 "figure {}: row '{}' has no completed run with generated samples for seed {}; "
                 "panel skipped\n",
                 fig.name, row, seed);
      continue;
    }
    const auto stem = fmt::format("{}_{}_generated_{}", base.string(), panel, row);
    const auto csv = fs::path(stem + ".csv");
    write_points(csv, it->second.first, it->second.second, "teacher_prediction");
    const auto image = fs::path(stem + figure_extension(format));
    write_boundary_panel(image,
                         fmt::format("({}) points generated by {} (seed {})", panel, row, seed),
                         points(csv.filename(), "teacher says"), grid_csv, b);
    out.push_back(image);
    ++panel;
  }
}

/// Paper Fig. 1 (c)-(f): the data, the teacher's decision boundary, and the points each listed
/// data-free row's generator produces, over the boundary.
std::vector<fs::path> two_moons_panels(const Experiment& exp, const Figure& fig,
                                       const PluginHost& plugins, const ResultsStore& store,
                                       const fs::path& dir, FigureFormat format) {
  const auto& spec = fig.spec;
  const std::string column = spec.value("column", exp.column_names().front());
  const int64_t seed = spec.value("seed", 0);
  std::vector<std::string> rows = spec.value("rows", std::vector<std::string>{});
  const PanelRuns runs = find_panel_runs(exp, fig, store, column, seed);

  DatasetCache datasets(plugins);
  const auto& data = datasets.get(runs.teacher.config.get<RunConfig>().dataset);
  auto model = load_trained_model(plugins, datasets, store, runs.teacher, torch::kCPU);
  model->module().eval();

  const GeneratedPoints generated = load_generated(store, runs.by_row, rows);
  Bounds b;
  b.include(data.train().x);
  for (const auto& [row, sample] : generated) b.include(sample.first);
  b = b.padded(0.05);

  const auto base = dir / fig.name;
  std::vector<fs::path> out{write_data_panel(base, data.train(), b, format)};
  const auto grid_csv = write_teacher_grid(base, *model, b);
  const auto boundary_image =
      fs::path(base.string() + "_d_teacher_boundary" + figure_extension(format));
  write_boundary_panel(
      boundary_image, "(d) teacher decision boundary (shading: class the teacher predicts)",
      points(fs::path(base.string() + "_c_data.csv").filename(), "class"), grid_csv, b);
  out.push_back(boundary_image);
  write_generated_panels(base, fig, rows, generated, seed, grid_csv, b, format, out);
  for (const auto& image : out) run_gnuplot(dir, fs::path(image).replace_extension(".gp"));
  return out;
}

}  // namespace

std::vector<fs::path> plot_experiment(const Experiment& exp, const PluginHost& plugins,
                                      const ResultsStore& store, const fs::path& out_dir,
                                      FigureFormat format) {
  if (exp.figures.empty())
    throw ConfigError(fmt::format("experiment '{}' declares no figures", exp.name));
  const std::set<std::string> kinds{"two_moons_panels", "accuracy_over_epochs",
                                    "accuracy_vs_labelled"};
  for (const auto& fig : exp.figures)
    if (!kinds.count(fig.kind))
      throw ConfigError(fmt::format("figure '{}': unknown kind '{}'; known kinds: {}", fig.name,
                                    fig.kind, fmt::join(kinds, ", ")));
  fs::create_directories(out_dir);
  std::vector<fs::path> written;
  size_t missing = 0;
  for (const auto& fig : exp.figures) {
    try {
      if (fig.kind == "two_moons_panels") {
        const auto files = two_moons_panels(exp, fig, plugins, store, out_dir, format);
        written.insert(written.end(), files.begin(), files.end());
      } else if (fig.kind == "accuracy_over_epochs") {
        written.push_back(accuracy_over_epochs(exp, fig, store, out_dir, format));
      } else {
        written.push_back(accuracy_vs_labelled(exp, fig, store, out_dir, format));
      }
    } catch (const ConfigError& e) {
      // A figure without data must not hide the others; the command still fails at the end.
      ++missing;
      fmt::print(stderr, "dfkd: {}\n", e.what());
    }
  }
  if (missing > 0)
    throw ConfigError(
        fmt::format("{} of {} figures had no data (see above); the others were written to {}",
                    missing, exp.figures.size(), out_dir.string()));
  return written;
}

}  // namespace dfkd::host
