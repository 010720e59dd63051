#pragma once
/// One run's page of the HTML report: what it is and how it ended, its teacher, per-epoch curves
/// and metrics, the generator's samples (data-free runs), artifacts, environment and config.
#include <filesystem>
#include <string>

#include "report/html.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

struct RunPageLinks {
  RunHref run_href;  ///< other runs' pages (the teacher's), relative to `runs_dir`
  std::string nav;   ///< HTML above the title (links back to the index and the cell's table)
};

/// Writes `runs_dir/<run_id>.html` and its figures under `runs_dir/<run_id>/`; returns the page.
/// A figure that cannot be drawn is replaced by its error on the page, not a failed report.
std::filesystem::path write_run_page(const ResultsStore& store, const RunRecord& run,
                                     const std::filesystem::path& runs_dir,
                                     const RunPageLinks& links);

}  // namespace dfkd::host
