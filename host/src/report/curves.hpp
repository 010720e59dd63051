#pragma once
/// Paper Fig. 2: curves drawn from the store's metrics alone (no model is loaded), each written
/// as a PNG beside its data (long-format CSV, one line per row and x) and its gnuplot script.
#include <filesystem>

#include "config/experiment.hpp"
#include "report/gnuplot.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

/// Fig. 2 (b), (c), (d): the experiment metric per epoch for the figure's rows in one column,
/// mean over completed seeds with a ± std band.
std::filesystem::path accuracy_over_epochs(const Experiment& exp, const Figure& fig,
                                           const ResultsStore& store,
                                           const std::filesystem::path& dir,
                                           FigureFormat format = FigureFormat::Png);

/// Fig. 2 (a): the metric against the amount of labelled training data. `points` maps columns to
/// x values (labelled images); `references` are rows of other experiments that use no labelled
/// data, drawn as flat lines with their ± std band.
std::filesystem::path accuracy_vs_labelled(const Experiment& exp, const Figure& fig,
                                           const ResultsStore& store,
                                           const std::filesystem::path& dir,
                                           FigureFormat format = FigureFormat::Png);

}  // namespace dfkd::host
