#pragma once
/// Figures drawn from the results store (and the artifacts it lists): PNG via gnuplot, with the
/// plotted data (CSV) and the gnuplot script written beside each figure so users can redraw it.
#include <filesystem>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "loader/plugin_host.hpp"
#include "report/gnuplot.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

/// Draws every figure the experiment declares; returns the image paths written.
std::vector<std::filesystem::path> plot_experiment(const Experiment& exp, const PluginHost& plugins,
                                                   const ResultsStore& store,
                                                   const std::filesystem::path& out_dir,
                                                   FigureFormat format = FigureFormat::Png);

}  // namespace dfkd::host
