#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

namespace dfkd::host {

/// The file type a figure is drawn in: PNG for `dfkd plot`, SVG for the HTML report (scales,
/// keeps text selectable, and gnuplot embeds image data in it, so it stays one file).
enum class FigureFormat { Png, Svg };
/// ".png" or ".svg".
const char* figure_extension(FigureFormat format);
/// The gnuplot `set terminal` line (newline included) of `format` at width x height pixels.
std::string gnuplot_terminal(FigureFormat format, int width, int height);

/// Runs gnuplot on `script` inside `dir` (scripts name their data files relative to it, so the
/// figure directory can be moved and redrawn by hand). Throws with gnuplot's own message.
void run_gnuplot(const std::filesystem::path& dir, const std::filesystem::path& script);

/// A string quoted for a gnuplot script.
std::string gnuplot_quote(const std::string& s);
/// A two-line title (what the figure shows, then what it was drawn from), quoted for gnuplot.
std::string gnuplot_two_line_title(const std::string& first, const std::string& second);

/// gnuplot commands for an x axis of whole numbers 1..`last` (epochs): integer labels at a 1, 2, 5
/// x 10^k step that keeps about 10 ticks or fewer, so 2 epochs and 500 both read cleanly.
std::string integer_x_axis(int64_t last);
/// Step of integer_x_axis: the smallest of 1, 2, 5, 10, 20, 50, ... with at most 10 ticks.
int64_t integer_tick_step(int64_t last);

}  // namespace dfkd::host
