#pragma once
/// Live progress of `dfkd run --jobs N` on a terminal: each worker reports its run as tagged lines
/// on a pipe to the parent (ProgressReporter), and the parent keeps one updating line per running
/// run and a summary line of the matrix at the bottom of the terminal (LiveBlock); other output
/// scrolls above it. Not on a terminal (CI, logs), workers print plain lines
/// (planner/progress.hpp).
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.hpp"

namespace dfkd::host {

/// Starts every progress line a worker writes for its parent; the rest of the line is one JSON
/// object. Lines without it are the worker's own messages, shown as they are.
inline constexpr const char* kProgressTag = "@dfkd-progress ";

/// Where a run stands, as a worker reports it.
struct RunProgress {
  int64_t epoch = 0, epochs = 0;          ///< epoch in progress (1-based) of epochs
  int64_t iteration = 0, iterations = 0;  ///< iteration (1-based) of the epoch's iterations
  std::map<std::string, double> losses;   ///< the last iteration's loss_* values
  std::optional<double> test_accuracy;    ///< after the last completed epoch
  std::optional<double> eta_seconds;      ///< from this attempt's pace so far
  double done_fraction() const;
};

/// kProgressTag + JSON. parse_progress_line: nullopt for a line that is not one (or malformed).
std::string progress_line(const RunProgress& progress);
std::optional<RunProgress> parse_progress_line(const std::string& line);

/// Engine callbacks to RunProgress for `sink`: iterations at most every `min_interval_seconds`,
/// epoch ends always. One per run attempt (its ETA is this attempt's pace). A worker's sink
/// writes progress_line() for its parent; in-process, the sink is the LiveBlock itself.
class ProgressReporter {
 public:
  using Sink = std::function<void(const RunProgress&)>;
  explicit ProgressReporter(Sink sink, double min_interval_seconds = 0.5);
  void iteration(const IterationReport& report);
  void epoch(const EpochReport& report);

 private:
  using Clock = std::chrono::steady_clock;
  void send(bool force);
  Sink sink_;
  double min_interval_;
  RunProgress now_;
  std::optional<std::pair<Clock::time_point, int64_t>> first_;  ///< time and global iteration
  Clock::time_point last_sent_{};
};

/// Whether `out` is a terminal that understands cursor movement (not TERM=dumb or unset).
bool live_display_possible(std::FILE* out);

/// Parent side: the block at the bottom of the terminal, redrawn in place.
class LiveBlock {
 public:
  explicit LiveBlock(std::FILE* out);
  void started(const std::string& run_id, const std::string& what);
  void update(const std::string& run_id, const RunProgress& progress);
  void ended(const std::string& run_id);
  /// The matrix's line under the runs; redrawn now, or with the next change when `redraw` is
  /// false.
  void summary(const std::string& text, bool redraw = true);
  /// A message that stays in the scrollback, printed above the block.
  void print_above(const std::string& text);

 private:
  struct Row {
    std::string run_id, what;
    std::optional<RunProgress> progress;
  };
  void erase();
  void draw();
  std::string render(const Row& row) const;
  std::FILE* out_;
  std::vector<Row> rows_;  ///< in start order
  std::string summary_;
  int drawn_lines_ = 0;
};

}  // namespace dfkd::host
