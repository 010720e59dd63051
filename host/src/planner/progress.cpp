#include "planner/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "engine/engine.hpp"

namespace dfkd::host {

namespace {
std::string label(const std::string& row, const std::string& role, const std::string& column,
                  int64_t seed) {
  return fmt::format("{} / {} / seed {}", row.empty() ? role : row, column, seed);
}
}  // namespace

std::string run_label(const RunRecord& r) {
  return label(r.row, r.role, r.column, r.seed);
}
std::string run_label(const RunPlan& p) {
  return label(p.row, p.role, p.column, p.seed);
}

size_t display_width(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string format_duration(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
  return fmt::format("{:.0f}h{:02.0f}m", std::floor(s / 3600), std::fmod(s / 60, 60));
}

Progress::Progress(std::FILE* out, bool lines_only)
    : out_(out), tty_(!lines_only && isatty(fileno(out)) != 0) {}

void Progress::epoch(const EpochReport& r, const std::string& position) {
  const double per_epoch = r.elapsed_seconds / static_cast<double>(r.epoch - r.resumed_from);
  const double eta = per_epoch * static_cast<double>(r.epochs - r.epoch);
  std::string loss;
  for (const char* key : {"loss_student", "loss_generator"}) {
    auto it = r.metrics.find(key);
    if (it != r.metrics.end()) loss += fmt::format(" {} {:.4g}", key, it->second);
  }
  const bool first_after_resume = r.resumed_from > 0 && r.epoch == r.resumed_from + 1;
  const auto text = fmt::format(
      "{} {}  epoch {}/{}{}  test_acc {:.2f}%  ETA {}{}", position, run_label(r.run), r.epoch,
      r.epochs, loss, r.metrics.at("test_accuracy"), format_duration(eta),
      first_after_resume ? fmt::format("  (resumed from the epoch {} checkpoint)", r.resumed_from)
                         : "");
  if (tty_) {
    const int width = 28;
    const int filled = static_cast<int>(width * r.epoch / r.epochs);
    fmt::print(out_, "\r\033[K{} [{}{}]", text, std::string(filled, '#'),
               std::string(width - filled, '.'));
  } else {
    fmt::print(out_, "{}\n", text);
  }
  std::fflush(out_);
}

void Progress::line(const std::string& text) {
  fmt::print(out_, "{}{}\n", tty_ ? "\r\033[K" : "", text);
  std::fflush(out_);
}

}  // namespace dfkd::host
