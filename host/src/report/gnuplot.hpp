#pragma once
#include <filesystem>
#include <string>

namespace dfkd::host {

/// Runs gnuplot on `script` inside `dir` (scripts name their data files relative to it, so the
/// figure directory can be moved and redrawn by hand). Throws with gnuplot's own message.
void run_gnuplot(const std::filesystem::path& dir, const std::filesystem::path& script);

/// A string quoted for a gnuplot script.
std::string gnuplot_quote(const std::string& s);
/// A two-line title (what the figure shows, then what it was drawn from), quoted for gnuplot.
std::string gnuplot_two_line_title(const std::string& first, const std::string& second);

}  // namespace dfkd::host
