#pragma once
/// What `dfkd run` and its workers print while runs train.
#include <cstdio>
#include <string>

#include "store/results_store.hpp"

namespace dfkd::host {

struct EpochReport;

/// "DFAL / MNIST / seed 2" (the role for runs without a row, e.g. a teacher used as dependency).
std::string run_label(const RunRecord& run);
std::string run_label(const RunPlan& plan);
/// 42s, 3m05s, 1h12m.
std::string format_duration(double seconds);
/// Characters, not bytes, as fmt pads UTF-8: the width a label (`VI alpha=0.2`, a grid row's
/// `w=0.1 α=0.2`) takes in a column.
size_t display_width(const std::string& text);

/// One line per epoch when piped (or when several workers share the terminal); a single
/// updating line on a terminal otherwise.
class Progress {
 public:
  Progress(std::FILE* out, bool lines_only = false);
  /// `position` is "[3/16]": which run of the plan this is.
  void epoch(const EpochReport& report, const std::string& position);
  void line(const std::string& text);

 private:
  std::FILE* out_;
  bool tty_;
};

}  // namespace dfkd::host
