#pragma once
/// Which completed runs `--force` and `--force-teacher` train again. A teacher is retrained only
/// with --force-teacher, since its students learned from its weights; the students of a retrained
/// teacher that are in the plan are retrained with it, the others are named (they keep the old
/// weights, which stay on disk: artifacts are immutable).
#include <set>
#include <string>
#include <vector>

#include "store/results_store.hpp"

namespace dfkd::host {

struct ForcedReruns {
  std::set<std::string> run_keys;  ///< completed runs of the plan to reset and train again
  std::vector<std::string> notes;  ///< what was kept or follows, one line each
};

ForcedReruns plan_forced_reruns(const std::vector<RunRecord>& runs, const ResultsStore* store,
                                bool force, bool force_teacher);

}  // namespace dfkd::host
