#include "slurm/sweep.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "config/json_parse.hpp"
#include "dfkd/errors.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dfkd::host {
namespace {

json to_json(const SweepTask& t) {
  json cells = json::array();
  for (const auto& c : t.cells)
    cells.push_back({{"row", c.row}, {"column", c.column}, {"seed", c.seed}});
  const auto& p = t.plan;
  return {{"index", t.index},
          {"level", t.level},
          {"run_key", p.run_key},
          {"run_id", p.run_id},
          {"experiment", p.experiment},
          {"row", p.row},
          {"column", p.column},
          {"seed", p.seed},
          {"profile", p.profile},
          {"role", p.role},
          {"method", p.method},
          {"parent_run_key", p.parent_run_key},
          {"cells", cells},
          {"config", p.config}};
}

SweepTask task_from_json(const json& j) {
  SweepTask t;
  t.index = j.at("index").get<int>();
  t.level = j.at("level").get<int>();
  auto& p = t.plan;
  p.run_key = j.at("run_key").get<std::string>();
  p.run_id = j.at("run_id").get<std::string>();
  p.experiment = j.at("experiment").get<std::string>();
  p.row = j.at("row").get<std::string>();
  p.column = j.at("column").get<std::string>();
  p.seed = j.at("seed").get<int64_t>();
  p.profile = j.at("profile").get<std::string>();
  p.role = j.at("role").get<std::string>();
  p.method = j.at("method").get<std::string>();
  p.parent_run_key = j.at("parent_run_key").get<std::string>();
  p.config = j.at("config");
  for (const auto& c : j.at("cells"))
    t.cells.push_back({p.experiment, p.profile, c.at("row").get<std::string>(),
                       c.at("column").get<std::string>(), c.at("seed").get<int64_t>(), p.run_key});
  return t;
}

json to_json(const SweepManifest& m) {
  json arrays = json::array();
  for (const auto& a : m.arrays)
    arrays.push_back({{"first", a.first}, {"last", a.last}, {"job_id", a.job_id}});
  return {{"sweep_id", m.sweep_id},
          {"experiment", m.experiment},
          {"profile", m.profile},
          {"created_at", m.created_at},
          {"store", m.store.string()},
          {"workdir", m.workdir.string()},
          {"staged", m.staged.string()},
          {"device", m.job.device},
          {"cpus_per_task", m.job.cpus_per_task},
          {"gpus_per_task", m.job.gpus_per_task},
          {"max_parallel", m.job.max_parallel},
          {"warning_seconds", m.job.warning_seconds},
          {"partition", m.job.partition},
          {"time", m.job.time},
          {"sbatch_args", m.job.sbatch_args},
          {"arrays", arrays},
          {"ingest_job_id", m.ingest_job_id},
          {"experiment_definition", m.experiment_definition}};
}

SweepManifest manifest_from_json(const json& j) {
  SweepManifest m;
  m.sweep_id = j.at("sweep_id").get<std::string>();
  m.experiment = j.at("experiment").get<std::string>();
  m.profile = j.at("profile").get<std::string>();
  m.created_at = j.at("created_at").get<std::string>();
  m.store = j.at("store").get<std::string>();
  m.workdir = j.at("workdir").get<std::string>();
  m.staged = j.at("staged").get<std::string>();
  m.job.device = j.at("device").get<std::string>();
  m.job.cpus_per_task = j.at("cpus_per_task").get<int>();
  m.job.gpus_per_task = j.at("gpus_per_task").get<int>();
  m.job.max_parallel = j.at("max_parallel").get<int>();
  m.job.warning_seconds = j.at("warning_seconds").get<int>();
  m.job.partition = j.at("partition").get<std::string>();
  m.job.time = j.at("time").get<std::string>();
  m.job.sbatch_args = j.at("sbatch_args").get<std::vector<std::string>>();
  for (const auto& a : j.at("arrays"))
    m.arrays.push_back(
        {a.at("first").get<int>(), a.at("last").get<int>(), a.at("job_id").get<std::string>()});
  m.ingest_job_id = j.at("ingest_job_id").get<std::string>();
  m.experiment_definition = j.at("experiment_definition");
  return m;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError(fmt::format("cannot read '{}'", file.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Parses `text` (of `file`) with `parse`; JSON errors become ConfigErrors naming the file (a
/// value nested too deep is one already).
template <class F>
auto parse_file(const fs::path& file, const std::string& text, F&& parse) {
  try {
    return parse(parse_json_limited(text, file.string(), kStoredJsonDepthLimit));
  } catch (const json::exception& e) {
    throw ConfigError(
        fmt::format("'{}' is not a valid dfkd sweep file: {} (was it edited or truncated? "
                    "`dfkd slurm submit` writes it)",
                    file.string(), e.what()));
  }
}

}  // namespace

void write_file_atomically(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write '{}'", tmp.string()));
  }
  fs::rename(tmp, file);
}

Sweep Sweep::create(const fs::path& dir, SweepManifest manifest, std::vector<SweepTask> tasks) {
  Sweep s;
  s.dir_ = fs::absolute(dir);
  s.manifest_ = std::move(manifest);
  s.tasks_ = std::move(tasks);
  fs::create_directories(s.dir_ / "shards");
  fs::create_directories(s.logs_dir());
  std::string lines;
  for (const auto& t : s.tasks_) lines += to_json(t).dump() + "\n";
  write_file_atomically(s.dir_ / "tasks.jsonl", lines);
  s.save_manifest();
  return s;
}

bool Sweep::is_sweep_dir(const fs::path& dir) {
  return fs::is_regular_file(dir / "manifest.json");
}

Sweep Sweep::open(const fs::path& dir) {
  if (!is_sweep_dir(dir))
    throw ConfigError(
        fmt::format("'{}' is not a sweep directory (no manifest.json); `dfkd slurm submit` "
                    "prints the directory it creates",
                    dir.string()));
  Sweep s;
  s.dir_ = fs::absolute(dir);
  const auto manifest_file = s.dir_ / "manifest.json";
  s.manifest_ = parse_file(manifest_file, read_text(manifest_file), manifest_from_json);
  const auto tasks_file = s.dir_ / "tasks.jsonl";
  std::istringstream lines(read_text(tasks_file));
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.empty()) continue;
    auto t = parse_file(tasks_file, line, task_from_json);
    if (t.index != static_cast<int>(s.tasks_.size()))
      throw ConfigError(fmt::format("'{}' line {}: task index {} where {} was expected",
                                    tasks_file.string(), n, t.index, s.tasks_.size()));
    s.tasks_.push_back(std::move(t));
  }
  return s;
}

const SweepTask& Sweep::task(int index) const {
  if (index < 0 || index >= static_cast<int>(tasks_.size()))
    throw ConfigError(fmt::format("sweep '{}' has tasks 0 to {}; there is no task {}",
                                  dir_.string(), static_cast<int>(tasks_.size()) - 1, index));
  return tasks_[static_cast<size_t>(index)];
}

const SweepTask* Sweep::task_for_key(const std::string& run_key) const {
  for (const auto& t : tasks_)
    if (t.plan.run_key == run_key) return &t;
  return nullptr;
}

std::string Sweep::job_of(int index) const {
  for (const auto& a : manifest_.arrays)
    if (index >= a.first && index <= a.last) return a.job_id;
  return "";
}

void Sweep::set_job_ids(const std::vector<std::string>& array_jobs, const std::string& ingest_job) {
  for (size_t i = 0; i < manifest_.arrays.size() && i < array_jobs.size(); ++i)
    manifest_.arrays[i].job_id = array_jobs[i];
  manifest_.ingest_job_id = ingest_job;
  save_manifest();
}

void Sweep::save_manifest() const {
  write_file_atomically(dir_ / "manifest.json", to_json(manifest_).dump(2) + "\n");
}

void write_shard_info(const fs::path& shard_dir, const ShardInfo& info) {
  write_file_atomically(shard_dir / "shard.json", json{{"run_key", info.run_key},
                                                       {"sweep_id", info.sweep_id},
                                                       {"index", info.index},
                                                       {"slurm_job", info.slurm_job},
                                                       {"hostname", info.hostname},
                                                       {"restart_count", info.restart_count}}
                                                          .dump(2) +
                                                      "\n");
}

std::optional<ShardInfo> read_shard_info(const fs::path& shard_dir) {
  const auto file = shard_dir / "shard.json";
  if (!fs::exists(file)) return std::nullopt;
  return parse_file(file, read_text(file), [](const json& j) {
    return ShardInfo{j.at("run_key").get<std::string>(),
                     j.at("sweep_id").get<std::string>(),
                     j.at("slurm_job").get<std::string>(),
                     j.at("hostname").get<std::string>(),
                     j.at("index").get<int>(),
                     j.at("restart_count").get<int64_t>()};
  });
}

void write_done_marker(const fs::path& shard_dir, const DoneMarker& done) {
  write_file_atomically(
      shard_dir / "DONE",
      json{{"run_key", done.run_key}, {"status", done.status}, {"finished_at", done.finished_at}}
              .dump() +
          "\n");
}

std::optional<DoneMarker> read_done_marker(const fs::path& shard_dir) {
  const auto file = shard_dir / "DONE";
  if (!fs::exists(file)) return std::nullopt;
  return parse_file(file, read_text(file), [](const json& j) {
    return DoneMarker{j.at("run_key").get<std::string>(), j.at("status").get<std::string>(),
                      j.at("finished_at").get<std::string>()};
  });
}

}  // namespace dfkd::host
