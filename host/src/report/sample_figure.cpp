#include "report/sample_figure.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <fstream>
#include <stdexcept>

namespace dfkd::host {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxTiles = 64, kTilesPerRow = 8, kGap = 2;

/// Images [N, C, H, W] with C 1 or 3: the first 64 as an 8-wide grid of tiles, scaled together to
/// the sample's own range (a generator's output has no fixed range), white between tiles.
fs::path draw_image_grid(const torch::Tensor& x, const torch::Tensor& pred, const fs::path& dir,
                         FigureFormat format) {
  const int64_t n = std::min<int64_t>(x.size(0), kMaxTiles), channels = x.size(1);
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t cols = std::min(n, kTilesPerRow), rows = (n + cols - 1) / cols;
  const int64_t width = cols * (w + kGap) - kGap, height = rows * (h + kGap) - kGap;
  auto images = x.slice(0, 0, n).to(torch::kFloat);
  const float lo = images.min().item<float>(), hi = images.max().item<float>();
  images = ((images - lo) / std::max(hi - lo, 1e-12f) * 255.0f).round().clamp(0, 255);
  images = images.to(torch::kUInt8);
  if (channels == 1) images = images.expand({n, 3, h, w});
  images = images.contiguous();
  auto canvas = torch::full({height, width, 3}, 255, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = (i / cols) * (h + kGap), left = (i % cols) * (w + kGap);
    canvas.slice(0, top, top + h).slice(1, left, left + w).copy_(images[i].permute({1, 2, 0}));
  }
  const auto data = dir / "samples.rgb";
  std::ofstream(data, std::ios::binary)
      .write(reinterpret_cast<const char*>(canvas.data_ptr<uint8_t>()), canvas.numel());

  const auto figure = dir / (std::string("samples") + figure_extension(format));
  std::ofstream gp(dir / "samples.gp");
  gp << gnuplot_terminal(format, 620, 60 + 620 * height / width)
     << fmt::format(
            "set output '{}'\nset title \"the generator's first {} of {} samples, scaled to "
            "[{:.3g}, {:.3g}]\\nlabel: the teacher's predicted class\" noenhanced\n"
            "unset border\nunset tics\nunset key\nset size ratio -1\n"
            "set xrange [-0.5:{}]\nset yrange [-0.5:{}]\n",
            figure.filename().string(), n, x.size(0), lo, hi, width - 0.5, height - 0.5);
  auto classes = pred.to(torch::kLong);
  for (int64_t i = 0; i < n; ++i) {
    // flipy puts the file's first row at the top: tile rows count down from y = height - 1.
    const int64_t top = height - 1 - (i / cols) * (h + kGap), left = (i % cols) * (w + kGap);
    gp << fmt::format("set label '{}' at {},{} front tc rgb '#d95f02' font ',9'\n",
                      classes[i].item<int64_t>(), left + 2, top - 5);
  }
  gp << fmt::format(
      "plot '{}' binary array=({},{}) flipy format='%uchar%uchar%uchar' using 1:2:3 with "
      "rgbimage\n",
      data.filename().string(), width, height);
  gp.close();
  run_gnuplot(dir, dir / "samples.gp");
  return figure;
}

/// 2-D points [N, 2]: a scatter, one colour per predicted class.
fs::path draw_points(const torch::Tensor& x, const torch::Tensor& pred, const fs::path& dir,
                     FigureFormat format) {
  const auto data = dir / "samples.csv";
  std::ofstream out(data);
  out << "x1,x2,teacher_prediction\n";
  auto p = x.to(torch::kDouble).contiguous();
  auto c = pred.to(torch::kLong).contiguous();
  for (int64_t i = 0; i < x.size(0); ++i)
    out << fmt::format("{:.6g},{:.6g},{}\n", p[i][0].item<double>(), p[i][1].item<double>(),
                       c[i].item<int64_t>());
  out.close();
  const auto figure = dir / (std::string("samples") + figure_extension(format));
  std::ofstream gp(dir / "samples.gp");
  gp << gnuplot_terminal(format, 560, 520)
     << fmt::format(
            "set output '{}'\nset title \"the generator's {} points; colour: the teacher's "
            "predicted class\" noenhanced\nset datafile separator ','\nunset key\n"
            "set xlabel 'x_1'\nset ylabel 'x_2'\n"
            "plot '{}' skip 1 using 1:2:($3 + 1) with points pt 7 ps 0.5 lc variable\n",
            figure.filename().string(), x.size(0), data.filename().string());
  gp.close();
  run_gnuplot(dir, dir / "samples.gp");
  return figure;
}

}  // namespace

std::optional<fs::path> draw_generated_sample(const ResultsStore& store, const RunRecord& run,
                                              const fs::path& dir, FigureFormat format) {
  const auto artifacts = store.artifacts(run.run_id, "generated");
  if (artifacts.empty()) return std::nullopt;
  const fs::path file = store.artifact_file(artifacts.back());
  torch::Tensor x, pred;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(file.string());
    archive.read("x", x);
    archive.read("teacher_pred", pred);
  } catch (const c10::Error& e) {
    throw std::runtime_error(fmt::format("run {}: cannot read its generated sample {}: {}",
                                         run.run_id.substr(0, 12), file.string(),
                                         e.what_without_backtrace()));
  }
  if (x.size(0) == 0)
    throw std::runtime_error(
        fmt::format("run {}: its generated sample is empty", run.run_id.substr(0, 12)));
  fs::create_directories(dir);
  if (x.dim() == 4 && (x.size(1) == 1 || x.size(1) == 3))
    return draw_image_grid(x, pred, dir, format);
  if (x.dim() == 2 && x.size(1) == 2) return draw_points(x, pred, dir, format);
  throw std::runtime_error(fmt::format(
      "run {}: its generated sample has shape {}; the report draws [N, 1 or 3, H, W] images or "
      "[N, 2] points",
      run.run_id.substr(0, 12), fmt::join(x.sizes(), "x")));
}

}  // namespace dfkd::host
