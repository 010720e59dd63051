#include "planner/live_progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "planner/progress.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

/// The terminal's width: a line longer than it wraps, and the block's redraw would then move
/// the cursor up too few lines.
size_t terminal_width(std::FILE* out) {
  winsize w{};
  if (ioctl(fileno(out), TIOCGWINSZ, &w) == 0 && w.ws_col > 20) return w.ws_col;
  return 120;
}

/// Cut to `width` columns, counting UTF-8 characters (not bytes) as columns.
std::string fit(const std::string& s, size_t width) {
  size_t columns = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++columns > width)
      return s.substr(0, i);
  }
  return s;
}

}  // namespace

double RunProgress::done_fraction() const {
  if (epochs <= 0 || iterations <= 0) return 0;
  const double done = static_cast<double>((epoch - 1) * iterations + iteration);
  return std::clamp(done / static_cast<double>(epochs * iterations), 0.0, 1.0);
}

std::string progress_line(const RunProgress& p) {
  json j{{"epoch", p.epoch},
         {"epochs", p.epochs},
         {"iteration", p.iteration},
         {"iterations", p.iterations},
         {"losses", p.losses}};
  if (p.test_accuracy) j["test_accuracy"] = *p.test_accuracy;
  if (p.eta_seconds) j["eta_seconds"] = *p.eta_seconds;
  return kProgressTag + j.dump();
}

std::optional<RunProgress> parse_progress_line(const std::string& line) {
  const std::string tag = kProgressTag;
  if (line.compare(0, tag.size(), tag) != 0) return std::nullopt;
  const auto j = json::parse(line.substr(tag.size()), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    RunProgress p;
    p.epoch = j.at("epoch");
    p.epochs = j.at("epochs");
    p.iteration = j.at("iteration");
    p.iterations = j.at("iterations");
    p.losses = j.at("losses").get<std::map<std::string, double>>();
    if (j.contains("test_accuracy")) p.test_accuracy = j.at("test_accuracy").get<double>();
    if (j.contains("eta_seconds")) p.eta_seconds = j.at("eta_seconds").get<double>();
    return p;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

ProgressReporter::ProgressReporter(Sink sink, double min_interval_seconds)
    : sink_(std::move(sink)), min_interval_(min_interval_seconds) {}

void ProgressReporter::iteration(const IterationReport& r) {
  if (now_.epochs == 0) now_.epochs = r.run.config.at("train").at("epochs").get<int64_t>();
  now_.epoch = r.epoch;
  now_.iteration = r.iteration;
  now_.iterations = r.iterations;
  now_.losses.clear();
  for (const auto& [key, value] : r.metrics)
    if (key.rfind("loss", 0) == 0) now_.losses[key] = value;
  send(false);
}

void ProgressReporter::epoch(const EpochReport& r) {
  now_.epochs = r.epochs;
  if (auto it = r.metrics.find("test_accuracy"); it != r.metrics.end())
    now_.test_accuracy = it->second;
  send(true);
}

void ProgressReporter::send(bool force) {
  const auto t = Clock::now();
  const int64_t position = (now_.epoch - 1) * now_.iterations + now_.iteration;
  if (!first_) first_ = {t, position};
  if (!force && std::chrono::duration<double>(t - last_sent_).count() < min_interval_) return;
  const double elapsed = std::chrono::duration<double>(t - first_->first).count();
  const int64_t done = position - first_->second;
  if (done > 0 && now_.iterations > 0)
    now_.eta_seconds = elapsed / static_cast<double>(done) *
                       static_cast<double>(now_.epochs * now_.iterations - position);
  sink_(now_);
  last_sent_ = t;
}

bool live_display_possible(std::FILE* out) {
  const char* term = std::getenv("TERM");
  return isatty(fileno(out)) != 0 && term != nullptr && std::string(term) != "dumb";
}

LiveBlock::LiveBlock(std::FILE* out) : out_(out) {}

void LiveBlock::started(const std::string& run_id, const std::string& what) {
  rows_.push_back({run_id, what, std::nullopt});
  erase();
  draw();
}

void LiveBlock::update(const std::string& run_id, const RunProgress& progress) {
  for (auto& row : rows_)
    if (row.run_id == run_id) row.progress = progress;
  erase();
  draw();
}

void LiveBlock::ended(const std::string& run_id) {
  rows_.erase(
      std::remove_if(rows_.begin(), rows_.end(), [&](const Row& r) { return r.run_id == run_id; }),
      rows_.end());
  erase();
  draw();
}

void LiveBlock::summary(const std::string& text, bool redraw) {
  if (text == summary_) return;
  summary_ = text;
  if (!redraw) return;
  erase();
  draw();
}

void LiveBlock::print_above(const std::string& text) {
  erase();
  fmt::print(out_, "{}\n", text);
  draw();
}

void LiveBlock::erase() {
  // To the start of the block's first line, then clear to the end of the screen.
  if (drawn_lines_ > 0) fmt::print(out_, "\033[{}F\033[J", drawn_lines_);
  drawn_lines_ = 0;
}

void LiveBlock::draw() {
  const size_t width = terminal_width(out_) - 1;
  for (const auto& row : rows_) {
    fmt::print(out_, "{}\n", fit(render(row), width));
    ++drawn_lines_;
  }
  if (!summary_.empty()) {
    fmt::print(out_, "{}\n", fit(summary_, width));
    ++drawn_lines_;
  }
  std::fflush(out_);
}

std::string LiveBlock::render(const Row& row) const {
  if (!row.progress) return row.what + "  starting";
  const auto& p = *row.progress;
  constexpr int kBar = 20;
  const int filled = static_cast<int>(kBar * p.done_fraction());
  std::string s =
      fmt::format("{}  [{}{}] epoch {}/{} it {}/{}", row.what, std::string(filled, '#'),
                  std::string(kBar - filled, '.'), p.epoch, p.epochs, p.iteration, p.iterations);
  for (const auto& [key, value] : p.losses) s += fmt::format("  {} {:.4g}", key, value);
  if (p.test_accuracy) s += fmt::format("  test_acc {:.2f}%", *p.test_accuracy);
  if (p.eta_seconds) s += "  ETA " + format_duration(*p.eta_seconds);
  return s;
}

}  // namespace dfkd::host
