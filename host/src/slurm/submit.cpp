#include "slurm/submit.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "dfkd/errors.hpp"
#include "planner/definitions.hpp"
#include "planner/dependencies.hpp"
#include "planner/progress.hpp"
#include "planner/run_matrix.hpp"
#include "slurm/slurm_queue.hpp"
#include "slurm/sweep.hpp"
#include "slurm/task_state.hpp"
#include "util/hash.hpp"
#include "util/subprocess.hpp"

namespace fs = std::filesystem;

namespace dfkd::host {
namespace {

std::string utc_now(const char* format) {
  const auto now =
      fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
  return fmt::format(fmt::runtime(std::string("{:") + format + "}"), now);
}

/// The shared library the running dfkd resolved its SDK from (the build tree or an install).
fs::path loaded_sdk_library() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash != std::string::npos && line.find("libdfkd_sdk.so") != std::string::npos)
      return line.substr(slash);
  }
  return {};
}

/// Runs of earlier sweeps on this store that must not be submitted again: queued or running in
/// Slurm, or completed in a shard not ingested yet. run_key -> why.
std::map<std::string, std::string> held_by_earlier_sweeps(const fs::path& sweeps_dir,
                                                          const ResultsStore& store,
                                                          std::FILE* out) {
  std::map<std::string, std::string> held;
  std::error_code ec;
  if (!fs::is_directory(sweeps_dir, ec)) return held;
  for (const auto& entry : fs::directory_iterator(sweeps_dir, ec)) {
    if (!Sweep::is_sweep_dir(entry.path())) continue;
    std::optional<Sweep> sweep;
    try {
      sweep = Sweep::open(entry.path());
    } catch (const std::exception& e) {
      fmt::print(out, "dfkd: warning: ignoring {}: {}\n", entry.path().string(), e.what());
      continue;
    }
    const auto& m = sweep->manifest();
    if (fs::weakly_canonical(m.store) != fs::weakly_canonical(store.path())) continue;
    std::vector<std::string> jobs;
    for (const auto& a : m.arrays)
      if (!a.job_id.empty()) jobs.push_back(a.job_id);
    const auto queue = SlurmQueue::query(jobs);
    if (!jobs.empty() && !queue.available())
      throw std::runtime_error(
          fmt::format("cannot tell whether sweep {} still holds runs ({}); submitting now could "
                      "train them twice. Try again when Slurm answers",
                      m.sweep_id, queue.unavailable_reason()));
    for (const auto& t : sweep->tasks()) {
      const auto kind = classify_task(*sweep, t, queue, kDefaultLostAfterSeconds).kind;
      if (kind == TaskState::Kind::Queued || kind == TaskState::Kind::Running ||
          kind == TaskState::Kind::InProgress) {
        held.emplace(t.plan.run_key, "queued or running in sweep " + m.sweep_id);
      } else if (kind == TaskState::Kind::Completed) {
        const auto here = store.find_run_by_key(t.plan.run_key);
        if (!here || here->status != RunStatus::Completed)
          held.emplace(t.plan.run_key,
                       fmt::format("completed in sweep {} but not ingested: `dfkd ingest {}` first",
                                   m.sweep_id, sweep->dir().string()));
      }
    }
  }
  return held;
}

std::string sbatch_header(const SweepManifest& m, const std::string& job_name,
                          const std::string& output) {
  std::string s = "#!/bin/bash\n";
  auto line = [&](const std::string& option) { s += "#SBATCH " + option + "\n"; };
  line("--job-name=" + job_name);
  line("--output=" + output);
  line("--chdir=" + m.workdir.string());
  if (!m.job.partition.empty()) line("--partition=" + m.job.partition);
  if (!m.job.time.empty()) line("--time=" + m.job.time);
  for (const auto& a : m.job.sbatch_args) line(a);
  return s;
}

std::string staged_environment(const SweepManifest& m) {
  return fmt::format(
      "# The staged, content-named copy of dfkd and its plugins: a rebuild cannot change this "
      "sweep.\n"
      "export LD_LIBRARY_PATH={}/lib${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}\n"
      "unset DFKD_PLUGIN_PATH\n",
      shell_quote(m.staged.string()));
}

void write_scripts(const Sweep& sweep) {
  const auto& m = sweep.manifest();
  const auto dir = sweep.dir();
  std::string task =
      sbatch_header(m, "dfkd-" + m.experiment, (sweep.logs_dir() / "%A_%a.out").string());
  task += fmt::format("#SBATCH --cpus-per-task={}\n", m.job.cpus_per_task);
  if (m.job.gpus_per_task > 0)
    task += fmt::format("#SBATCH --gpus-per-task={}\n", m.job.gpus_per_task);
  task += "#SBATCH --open-mode=append\n#SBATCH --requeue\n";
  task += fmt::format("#SBATCH --signal=B:USR1@{}\n", m.job.warning_seconds);
  task += fmt::format(
      "# dfkd sweep {}: array task i trains line i of tasks.jsonl into shards/<run_key>/.\n"
      "# Written by `dfkd slurm submit`; the array range and dependencies are on sbatch's command "
      "line (manifest.json).\n",
      m.sweep_id);
  task += staged_environment(m);
  task +=
      "# exec: dfkd itself gets the warning signal (B:USR1), checkpoints and requeues the task.\n";
  task += fmt::format(
      "exec {}/bin/dfkd worker --sweep {} --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --device {}\n",
      shell_quote(m.staged.string()), shell_quote(dir.string()), m.job.device);
  write_file_atomically(dir / "task.sbatch", task);

  std::string ingest = sbatch_header(m, "dfkd-ingest-" + m.experiment,
                                     (sweep.logs_dir() / "ingest-%j.out").string());
  ingest += "#SBATCH --cpus-per-task=1\n";
  ingest += fmt::format(
      "# Merges the shards of sweep {} into the results store once every task has ended.\n",
      m.sweep_id);
  ingest += staged_environment(m);
  ingest += fmt::format("exec {}/bin/dfkd ingest {} --db {}\n", shell_quote(m.staged.string()),
                        shell_quote(dir.string()), shell_quote(m.store.string()));
  write_file_atomically(dir / "ingest.sbatch", ingest);
}

std::string array_spec(const SweepArray& a, int max_parallel) {
  return fmt::format("--array={}-{}{}", a.first, a.last,
                     max_parallel > 0 ? fmt::format("%{}", max_parallel) : "");
}

/// The runs of a plan this sweep trains, in level order, and what they need from the store.
struct SweepSelection {
  std::vector<const RunRecord*> task_runs;
  std::map<std::string, int> level;              ///< run_key -> dependency level, for tasks
  std::set<std::string> borrowed_teachers;       ///< completed teachers the tasks' students need
  std::map<std::string, std::string> not_tasks;  ///< run_key -> why (not a task, not cached)
};

/// "" when `r` can be a task of this sweep, else why not. Its teacher is a task of this sweep
/// (the student runs one level after it), completed in the store (borrowed), or neither.
std::string why_not_a_task(const RunRecord& r, const std::map<std::string, std::string>& elsewhere,
                           const ResultsStore& store, SweepSelection& sel) {
  if (elsewhere.count(r.run_key)) return elsewhere.at(r.run_key);
  if (r.status == RunStatus::Running &&
      r.heartbeat_age_seconds < ResultsStore::kStaleHeartbeatSeconds)
    return "being trained by a local `dfkd run` on this store";
  const auto ready = readiness(r, [&](const std::string& teacher) {
    if (sel.level.count(teacher)) return TeacherStatus{false, true};
    const auto parent = store.find_run_by_key(teacher);
    return TeacherStatus{parent && parent->status == RunStatus::Completed, false};
  });
  const auto deps = dependencies_of(r);
  if (ready == Readiness::Blocked)
    for (const auto& dep : deps) {
      if (sel.level.count(dep)) continue;
      const auto parent = store.find_run_by_key(dep);
      if (parent && parent->status == RunStatus::Completed) continue;
      return fmt::format("its {} is {}", dep == teacher_of(r) ? "teacher" : "init_from run",
                         sel.not_tasks.count(dep) ? sel.not_tasks.at(dep) : "not completed");
    }
  for (const auto& dep : deps)  // completed before submission: copied into the sweep's inputs
    if (!sel.level.count(dep)) sel.borrowed_teachers.insert(dep);
  return "";
}

/// Tasks: every run not completed, not training elsewhere, whose teacher is completed or itself a
/// task here. Prints the runs it leaves out.
SweepSelection select_tasks(const std::vector<RunRecord>& runs,
                            const std::map<std::string, std::string>& elsewhere,
                            const ResultsStore& store, SubmitResult& result, std::FILE* out) {
  SweepSelection sel;
  for (const auto& r : runs) {
    if (r.status == RunStatus::Completed) {
      ++result.cached;
      continue;
    }
    const auto why = why_not_a_task(r, elsewhere, store, sel);
    if (!why.empty()) {
      sel.not_tasks[r.run_key] = why;
      ++result.in_flight;
      fmt::print(out, "  {:<10} {:<34} skipped: {}\n", r.run_key.substr(0, 10), run_label(r), why);
      continue;
    }
    sel.level[r.run_key] = dependency_level(r, sel.level);
    sel.task_runs.push_back(&r);
  }
  std::stable_sort(sel.task_runs.begin(), sel.task_runs.end(),
                   [&](const RunRecord* a, const RunRecord* b) {
                     return sel.level.at(a->run_key) < sel.level.at(b->run_key);
                   });
  result.tasks = static_cast<int>(sel.task_runs.size());
  return sel;
}

/// The sweep's tasks in level order, and one job array per level (array i+1 starts after array i).
struct SweepLayout {
  std::vector<SweepTask> tasks;
  std::vector<SweepArray> arrays;
};

SweepLayout lay_out_tasks(const SweepSelection& sel, const Experiment& exp,
                          const std::vector<CellRun>& cells) {
  // Cells per run (a teacher may fill several columns' Teacher cells).
  std::map<std::string, std::vector<CellRecord>> cells_of;
  for (const auto& c : cells)
    if (!c.row.empty())
      cells_of[c.run_key].push_back({exp.name, exp.profile, c.row, c.column, c.seed, c.run_key});
  SweepLayout layout;
  auto& tasks = layout.tasks;
  auto& arrays = layout.arrays;
  for (const auto* r : sel.task_runs) {
    SweepTask t;
    t.index = static_cast<int>(tasks.size());
    t.level = sel.level.at(r->run_key);
    t.plan = {r->run_key, r->experiment,     r->row,    r->column, r->seed, r->profile, r->role,
              r->method,  r->parent_run_key, r->config, r->run_id};
    t.cells = cells_of[r->run_key];
    if (arrays.size() <= static_cast<size_t>(t.level)) arrays.push_back({t.index, t.index, ""});
    arrays.back().last = t.index;
    tasks.push_back(std::move(t));
  }
  return layout;
}

SweepManifest make_manifest(const Experiment& exp, const ResultsStore& store,
                            const SubmitOptions& opt, const std::vector<SweepArray>& arrays) {
  SweepManifest m;
  m.sweep_id = fmt::format("{}-{}-{}-{}", exp.name, exp.profile, utc_now("%Y%m%d-%H%M%S"),
                           random_id().substr(0, 4));
  m.experiment = exp.name;
  m.profile = exp.profile;
  m.created_at = utc_now("%Y-%m-%dT%H:%M:%SZ");
  m.store = store.path();
  m.workdir = fs::current_path();
  m.job = opt.job;
  m.arrays = arrays;
  m.experiment_definition = exp.source;
  return m;
}

void print_tasks(const SweepManifest& m, const SweepLayout& layout, const SubmitResult& result,
                 std::FILE* out) {
  const auto& tasks = layout.tasks;
  const auto& arrays = layout.arrays;
  fmt::print(out, "Sweep {}: {} task{} in {} array{}, {} cached{}\n", m.sweep_id, tasks.size(),
             tasks.size() == 1 ? "" : "s", arrays.size(), arrays.size() == 1 ? "" : "s",
             result.cached, result.in_flight ? fmt::format(", {} skipped", result.in_flight) : "");
  for (const auto& t : tasks)
    fmt::print(out, "  task {:<4} {:<10} {:<34} level {}\n", t.index, t.plan.run_key.substr(0, 10),
               run_label(t.plan), t.level);
}

void print_dry_run(const fs::path& dir, const std::vector<SweepArray>& arrays,
                   const SubmitOptions& opt, std::FILE* out) {
  fmt::print(out, "Dry run: nothing written or submitted. It would run, in {}:\n", dir.string());
  for (size_t i = 0; i < arrays.size(); ++i)
    fmt::print(out, "  sbatch {}{} task.sbatch\n", array_spec(arrays[i], opt.job.max_parallel),
               i ? " --dependency=afterany:<array job " + std::to_string(i - 1) + ">" : "");
  if (opt.ingest_job)
    fmt::print(out, "  sbatch --dependency=afterany:<every array job> ingest.sbatch\n");
}

/// Students here need teachers completed earlier: a copy in the sweep, so tasks never open the
/// main store (which may be a WAL database on another machine's disk).
void copy_borrowed_teachers(const Sweep& sweep, const ResultsStore& store,
                            const std::set<std::string>& teachers) {
  if (teachers.empty()) return;
  ResultsStore inputs(sweep.inputs_db(), ResultsStore::Mode::ReadWrite,
                      ResultsStore::Journal::Rollback);
  for (const auto& key : teachers) inputs.merge_run(store.path(), key, {});
}

/// One sbatch per level, each after the previous level's array, then the ingest job after all.
/// On a failure, cancels what was submitted.
void submit_jobs(Sweep& sweep, const std::vector<SweepArray>& arrays, const SubmitOptions& opt,
                 SubmitResult& result) {
  std::vector<std::string> jobs;
  try {
    for (size_t i = 0; i < arrays.size(); ++i) {
      std::vector<std::string> args{array_spec(arrays[i], opt.job.max_parallel)};
      if (i > 0) args.push_back("--dependency=afterany:" + jobs.back());
      args.push_back((sweep.dir() / "task.sbatch").string());
      jobs.push_back(sbatch(args));
    }
    std::string after;
    for (const auto& j : jobs) after += ":" + j;
    if (opt.ingest_job)
      result.ingest_job =
          sbatch({"--dependency=afterany" + after, (sweep.dir() / "ingest.sbatch").string()});
  } catch (const std::exception& e) {
    scancel(jobs);
    throw std::runtime_error(
        fmt::format("{}\nNothing stays queued (cancelled: {}). The sweep directory {} is left "
                    "for inspection.",
                    e.what(), jobs.empty() ? "none" : fmt::format("{}", fmt::join(jobs, " ")),
                    sweep.dir().string()));
  }
  sweep.set_job_ids(jobs, result.ingest_job);
  result.array_jobs = jobs;
}

void print_submitted(const Sweep& sweep, const SubmitResult& result, const Experiment& exp,
                     const ResultsStore& store, const SubmitOptions& opt, std::FILE* out) {
  const auto& arrays = sweep.manifest().arrays;
  const auto& jobs = result.array_jobs;
  fmt::print(out, "Submitted (nothing waits here; the jobs run and ingest on their own):\n");
  for (size_t i = 0; i < arrays.size(); ++i)
    fmt::print(out, "  job {:<8} {} {}\n", jobs[i], array_spec(arrays[i], opt.job.max_parallel),
               i ? fmt::format("after job {} (students of its runs)", jobs[i - 1])
                 : "(runs needing nothing else)");
  if (opt.ingest_job)
    fmt::print(out, "  job {:<8} ingest into {} after every task\n", result.ingest_job,
               store.path().string());
  else
    fmt::print(out,
               "  no ingest job (--no-ingest-job): run `dfkd ingest {}` where the store lives\n",
               sweep.dir().string());
  fmt::print(out, "  sweep      {}\n  staged     {}\n", sweep.dir().string(),
             sweep.manifest().staged.string());
  fmt::print(out, "Follow:  dfkd slurm status {}\nResults: dfkd table {} --profile {} --db {}\n",
             sweep.dir().string(), exp.name, exp.profile, store.path().string());
}

}  // namespace

fs::path stage_binaries(const PluginHost& plugins, const fs::path& root) {
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  const fs::path sdk = loaded_sdk_library();
  // name in the staged directory -> source file; the fingerprint lists every name with its sha256
  // (plugins were hashed when PluginHost loaded them).
  std::map<std::string, fs::path> files{{"bin/dfkd", exe}};
  std::map<std::string, std::string> sha{{"bin/dfkd", sha256_file(exe)}};
  if (!sdk.empty()) {
    files.emplace("lib/" + sdk.filename().string(), sdk);
    sha.emplace("lib/" + sdk.filename().string(), sha256_file(sdk));
  }
  for (const auto* p : plugins.plugins()) {
    const auto name =
        fmt::format("plugins/{}/{}", to_string(p->entry.kind), p->file.filename().string());
    files.emplace(name, p->file);
    sha.emplace(name, p->file_sha256);
  }
  std::string fingerprint;
  for (const auto& [name, hash] : sha) fingerprint += name + " " + hash + "\n";
  const fs::path dir = root / sha256_hex(fingerprint).substr(0, 16);
  if (fs::exists(dir / "bin" / "dfkd")) return dir;

  const fs::path tmp = root / (".staging-" + random_id().substr(0, 8));
  for (const auto& [name, file] : files) {
    fs::create_directories((tmp / name).parent_path());
    fs::copy_file(file, tmp / name);
  }
  if (!sdk.empty())
    // The SONAME links (libdfkd_sdk.so.0.1 -> libdfkd_sdk.so.0.1.0) the loader looks for.
    for (const auto& entry : fs::directory_iterator(sdk.parent_path()))
      if (entry.is_symlink() && entry.path().filename().string().rfind("libdfkd_sdk.so", 0) == 0)
        fs::create_symlink(fs::read_symlink(entry.path()), tmp / "lib" / entry.path().filename());
  // Read-only: the directory's name is its content's hash.
  for (const auto& [name, file] : files)
    fs::permissions(tmp / name, fs::perms::owner_read | fs::perms::owner_exec |
                                    fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
  std::error_code ec;
  fs::rename(tmp, dir, ec);  // another submit may have staged the same content meanwhile
  if (ec) fs::remove_all(tmp);
  return dir;
}

SubmitResult submit_sweep(const Experiment& exp, const std::vector<CellRun>& cells,
                          const PluginHost& plugins, ResultsStore& store, const SubmitOptions& opt,
                          std::FILE* out) {
  if (!opt.dry_run && !on_path("sbatch"))
    throw ConfigError(
        "sbatch is not on PATH: `dfkd slurm submit` runs where Slurm's client commands work (a "
        "login node; Debian package slurm-client). `--dry-run` prints the plan without them");
  SubmitResult result;
  // A dry run writes nothing; a real one stores the definition (never silently replacing one).
  if (!opt.dry_run) store_definition(exp, store, opt.replace_definition, out);
  const auto runs = opt.dry_run ? preview_runs(exp, cells, &store) : plan_runs(exp, cells, store);
  const fs::path sweeps_dir =
      fs::absolute(opt.sweeps_dir.empty() ? store.path().parent_path() / "sweeps" : opt.sweeps_dir);
  const auto selection =
      select_tasks(runs, held_by_earlier_sweeps(sweeps_dir, store, out), store, result, out);
  if (selection.task_runs.empty()) {
    fmt::print(out, "dfkd: nothing to submit: {} runs completed in {}{}\n", result.cached,
               store.path().string(),
               result.in_flight
                   ? fmt::format(", {} queued, running or waiting elsewhere", result.in_flight)
                   : "");
    return result;
  }
  const auto layout = lay_out_tasks(selection, exp, cells);
  SweepManifest m = make_manifest(exp, store, opt, layout.arrays);
  const fs::path dir = sweeps_dir / m.sweep_id;
  print_tasks(m, layout, result, out);
  if (opt.dry_run) {
    print_dry_run(dir, layout.arrays, opt, out);
    return result;
  }
  m.staged = stage_binaries(plugins, sweeps_dir / "staged");
  Sweep sweep = Sweep::create(dir, m, layout.tasks);
  result.sweep_dir = sweep.dir();
  copy_borrowed_teachers(sweep, store, selection.borrowed_teachers);
  write_scripts(sweep);
  submit_jobs(sweep, layout.arrays, opt, result);
  print_submitted(sweep, result, exp, store, opt, out);
  return result;
}

}  // namespace dfkd::host
