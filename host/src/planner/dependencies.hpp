#pragma once
/// The one rule between the runs of a plan: a run that reads another run's trained weights (a
/// student its teacher's, a fine-tuning phase its `init_from` run's) starts only once that run
/// has completed. Both ways of training a plan ask here:
/// `dfkd run`'s queue (planner/local_scheduler.cpp) before starting each run, and `dfkd slurm
/// submit` (slurm/submit.cpp) to put students in the job array after their teacher's. Plans list
/// teachers first (expand_cells), so a teacher is always decided before its students.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "store/results_store.hpp"

namespace dfkd::host {

/// The run_key `run` depends on: its teacher's, or "" when it needs no other run.
const std::string& teacher_of(const RunRecord& run);
// dependencies_of(run), every run_key `run` reads weights from, is declared with RunRecord.

/// Where a run's teacher stands, as the asking scheduler sees it.
struct TeacherStatus {
  bool completed = false;  ///< its weights exist
  bool to_run = false;  ///< not completed but still to be trained first (by this plan or elsewhere)
};

enum class Readiness {
  Ready,    ///< needs no teacher, or its teacher has completed
  Waiting,  ///< its teacher is still to be trained: start after it
  Blocked,  ///< its teacher will not complete: the run cannot be trained now
};

/// Whether `run` can start. `status_of` is asked about each of dependencies_of(run).
Readiness readiness(const RunRecord& run,
                    const std::function<TeacherStatus(const std::string&)>& status_of);

/// The level of a run among those a plan trains: 0 when it waits for no run of the plan, else
/// one more than its highest dependency's. `levels` (run_key -> level) holds the runs decided so
/// far.
int dependency_level(const RunRecord& run, const std::map<std::string, int>& levels);

}  // namespace dfkd::host
