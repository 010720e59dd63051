#pragma once
/// `dfkd report`: a static HTML site drawn from the results store, opened from disk with no server
/// and no network. index.html lists the experiments; each experiment and profile has a page with
/// its table (links from each cell to its runs) and figures (SVG); each run has a page
/// (report/run_page.hpp).
#include <filesystem>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "loader/plugin_host.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct ReportOptions {
  std::string compare_to;    ///< Welch's test of every row against this row, in tables that have it
  std::string generated_by;  ///< e.g. "dfkd 0.9.0", shown on the index page
  /// Another per-epoch metric for every table whose runs log it (`dfkd table --metric`); tables
  /// whose completed runs do not log it keep their own metric. "": each table's own.
  std::string metric;
};

/// One table of the site: an experiment (its profile chosen) and how to fill its missing cells.
struct ReportedExperiment {
  Experiment experiment;
  std::string source_hint;  ///< what `dfkd run` takes to fill missing cells
};

/// Writes the site into `out` (created; files of an earlier report there are replaced) and
/// returns its index.html.
std::filesystem::path write_report(const ResultsStore& store, const PluginHost& plugins,
                                   const std::vector<ReportedExperiment>& experiments,
                                   const ReportOptions& options, const std::filesystem::path& out);

}  // namespace dfkd::host
