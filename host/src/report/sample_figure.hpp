#pragma once
/// A data-free run's saved generator sample (the "generated" artifact: the generator's output and
/// the teacher's predicted class for each) drawn as an SVG figure: images as a tiled grid with the
/// teacher's class on each tile, 2-D points as a scatter coloured by that class.
#include <filesystem>
#include <optional>

#include "report/gnuplot.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

/// Draws the run's newest generated sample into `dir` (its data file, gnuplot script and figure)
/// and returns the figure; nullopt when the run saved none. Throws std::runtime_error when the
/// artifact cannot be read or has a shape it cannot draw.
std::optional<std::filesystem::path> draw_generated_sample(const ResultsStore& store,
                                                           const RunRecord& run,
                                                           const std::filesystem::path& dir,
                                                           FigureFormat format);

}  // namespace dfkd::host
