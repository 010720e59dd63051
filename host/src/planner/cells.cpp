#include "planner/cells.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>

#include "config/json_check.hpp"
#include "config/origins.hpp"
#include "config/plugin_spec.hpp"
#include "config/run_config.hpp"
#include "dfkd/errors.hpp"

namespace dfkd::host {
namespace {

using json = nlohmann::json;

bool selected(const std::vector<std::string>& filter, const std::string& name) {
  return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
}

// The rows --only names: a grid's base row stands for all of its grid rows.
std::vector<std::string> selected_rows(const Experiment& exp, const CellFilter& filter) {
  std::vector<std::string> out;
  for (const auto& r : filter.rows) {
    const auto named = exp.rows_named(r);
    if (named.empty()) {
      const auto bases = exp.grid_bases();
      throw ConfigError(fmt::format(
          "--only {}: no such row in '{}'{}; rows: {}{}", r, exp.name,
          did_you_mean(r, exp.row_names()), fmt::join(exp.row_names(), ", "),
          bases.empty() ? ""
                        : fmt::format("; grids (all of their rows): {}", fmt::join(bases, ", "))));
    }
    for (const size_t i : named) out.push_back(exp.rows[i].at("name"));
  }
  return out;
}

void check_columns(const Experiment& exp, const CellFilter& filter) {
  const auto col_names = exp.column_names();
  for (const auto& c : filter.columns)
    if (std::find(col_names.begin(), col_names.end(), c) == col_names.end())
      throw ConfigError(fmt::format("--dataset {}: no such column in '{}'; columns: {}", c,
                                    exp.name, fmt::join(col_names, ", ")));
}

/// The loaded methods that train on mixed labels (for error messages).
std::vector<std::string> mixed_label_methods(const PluginHost& plugins) {
  std::vector<std::string> out;
  for (const auto* p : plugins.plugins())
    if (p->entry.kind == PluginKind::Method && p->entry.info.method_traits.accepts_mixed_labels)
      out.push_back(p->entry.name);
  return out;
}

/// The teacher's row name, also when the teacher is only a dependency (`--only KD`, or an
/// experiment without a teacher row): runs, tables and status show it under this name.
std::string teacher_row_of(const Experiment& exp) {
  for (const auto& r : exp.rows)
    if (r.contains("teacher")) return r.at("name");
  return "Teacher";
}

/// A merged train block and where each of its values was written.
struct TrainBlock {
  json train, origin;
  void patch(const json& t, const json& t_origin) {
    train.merge_patch(t);
    origin.merge_patch(t_origin);
  }
};

/// One column's runs: its dataset, its teacher (resolved when a row first needs it, so that
/// errors come in the order of the rows) and its students.
class ColumnCells {
 public:
  ColumnCells(const Experiment& exp, const PluginHost& plugins, size_t ci, std::string teacher_row)
      : exp_(exp),
        plugins_(plugins),
        col_(exp.columns[ci]),
        name_(col_.at("name")),
        root_(exp.origin.empty() ? exp.name : exp.origin),
        cpath_(fmt::format("{}.columns[{}]", root_, ci)),
        // Where the column's values were written (absent for a hand-made Experiment: merged paths).
        co_(ci < exp.column_origins.size() ? exp.column_origins[ci] : json(nullptr)),
        dataset_(
            resolve_dataset(col_.at("dataset"), cpath_ + ".dataset", origin_sub(co_, "dataset"))),
        shape_(shape_of(dataset_)),
        teacher_row_(std::move(teacher_row)) {}

  const std::string& name() const { return name_; }
  const std::optional<CellRun>& needed_teacher() const { return teacher_; }
  const CellRun& teacher();
  /// Row `ri`'s runs, one per seed, appended to `out` after the runs of the rows it reads
  /// (`init_from`, `teacher_from`: planned even when --only leaves them out); each row once.
  void add_row(size_t ri, int64_t seeds, std::vector<CellRun>& out);

 private:
  /// Key ("init_from", "teacher_from") -> index in `out` of the seed-0 run of the row it names.
  using ReadRows = std::map<std::string, size_t>;
  /// The runs of row `ri` (as this column sees it, `row`), one per seed.
  void add_students(size_t ri, const json& row, int64_t seeds, const ReadRows& reads,
                    std::vector<CellRun>& out);
  size_t read_row_index(const std::string& name, const std::string& path) const;
  json resolve_dataset(const json& spec, const std::string& path, const json& origin) const;
  DataShape shape_of(const json& dataset) const;  ///< of a resolved dataset block
  json resolve(const json& spec, PluginKind kind, const std::string& path,
               const json& origin) const {
    return resolve_plugin(spec, kind, path, plugins_, origin);
  }
  CellRun make_teacher() const;
  json student_method(const json& row, const std::string& rpath, const json& ro) const;
  json student_regularizers(const json& row, const std::string& rpath, const json& ro) const;
  json augmentations(const json& owner, const std::string& path, const json& origin,
                     const json& method, const DataShape& shape) const;
  TrainBlock student_train(const json& row, const std::string& rpath, const json& ro) const;
  json student_config(const json& row, const std::string& rpath, const json& ro,
                      const json& method) const;

  const Experiment& exp_;
  const PluginHost& plugins_;
  const json& col_;
  const std::string name_, root_, cpath_;
  const json co_;
  const json dataset_;
  const DataShape shape_;  ///< of dataset_: what the column's augmentations are built on
  const std::string teacher_row_;
  std::optional<CellRun> teacher_;
  std::map<size_t, size_t> row_first_;  ///< row index -> index of its seed-0 run in `out`
  std::vector<size_t> expanding_;       ///< rows being expanded (a cycle is named from these)
};

// Constructing a dataset reads no data; it validates the options and says where the data
// comes from (a resolved directory), which becomes part of every run_key.
json ColumnCells::resolve_dataset(const json& spec, const std::string& path,
                                  const json& origin) const {
  json d = resolve(spec, PluginKind::Dataset, path, origin);
  const auto& p = plugins_.get(PluginKind::Dataset, d.at("plugin").get<std::string>());
  d["source"] = p.entry.make_dataset(Options(p.entry.name, d.at("options")))->source();
  return d;
}

DataShape ColumnCells::shape_of(const json& dataset) const {
  const auto& p = plugins_.get(PluginKind::Dataset, dataset.at("plugin").get<std::string>());
  return p.entry.make_dataset(Options(p.entry.name, dataset.at("options")))->shape();
}

const CellRun& ColumnCells::teacher() {
  if (!teacher_) teacher_ = make_teacher();
  return *teacher_;
}

CellRun ColumnCells::make_teacher() const {
  if (!col_.contains("teacher"))
    throw ConfigError(
        fmt::format("{}: a row needs a teacher but column '{}' defines none; add "
                    "\"teacher\": {{\"model\": ..., \"method\": ...}}",
                    cpath_, name_));
  const auto& t = col_.at("teacher");
  const auto tpath = cpath_ + ".teacher";
  CellRun run;
  run.row = teacher_row_;
  run.column = name_;
  run.seed = t.value("seed", 0);
  run.role = "teacher";
  const json& to = origin_sub(co_, "teacher");
  TrainBlock train{exp_.train, exp_.train_origin};
  if (t.contains("train")) train.patch(t.at("train"), origin_sub(to, "train"));
  run.config = {
      {"profile", exp_.profile},
      {"seed", run.seed},
      {"role", "teacher"},
      // A teacher may see more data than the column's students (paper Fig. 2a:
      // students get a labelled subset, the teacher was trained on all of it).
      {"dataset", t.contains("dataset") ? resolve_dataset(t.at("dataset"), tpath + ".dataset",
                                                          origin_sub(to, "dataset"))
                                        : dataset_},
      {"model",
       resolve(t.at("model"), PluginKind::Model, tpath + ".model", origin_sub(to, "model"))},
      {"method",
       resolve(t.at("method"), PluginKind::Method, tpath + ".method", origin_sub(to, "method"))},
      {"generator", nullptr},
      {"regularizers", json::array()},
      {"teacher", nullptr},
      {"train", resolve_train(train.train, tpath + ".train", train.origin)}};
  const auto& traits = traits_of(run.config.at("method"), plugins_);
  if (auto augs =
          augmentations(t, tpath, to, run.config.at("method"),
                        t.contains("dataset") ? shape_of(run.config.at("dataset")) : shape_);
      !augs.empty())
    run.config["augmentations"] = std::move(augs);
  if (traits.needs_teacher || traits.needs_generator || !traits.uses_training_data)
    throw ConfigError(
        fmt::format("{}.method: a teacher is trained on real data; method '{}' is not "
                    "a supervised method",
                    tpath, run.config["method"]["plugin"].get<std::string>()));
  run.method = run.config["method"]["plugin"];
  run.run_key = run_key(run.config.get<RunConfig>());
  return run;
}

// The row's method, checked against what the row provides for it.
json ColumnCells::student_method(const json& row, const std::string& rpath, const json& ro) const {
  const json method =
      resolve(row.at("method"), PluginKind::Method, rpath + ".method", origin_sub(ro, "method"));
  const auto& traits = traits_of(method, plugins_);
  const std::string mname = method.at("plugin");
  if (traits.needs_generator && !row.contains("generator"))
    throw ConfigError(fmt::format(
        "{}: method '{}' needs a generator; add \"generator\": {{\"plugin\": ...}}", rpath, mname));
  if (!traits.needs_generator && row.contains("generator"))
    throw ConfigError(fmt::format(
        "{}.generator: method '{}' does not use a generator; remove the key", rpath, mname));
  if (!traits.accepts_regularizers && row.contains("regularizers") &&
      !row.at("regularizers").empty())
    throw ConfigError(
        fmt::format("{}.regularizers: method '{}' takes no regularizers", rpath, mname));
  return method;
}

json ColumnCells::student_regularizers(const json& row, const std::string& rpath,
                                       const json& ro) const {
  json regs = json::array();
  if (!row.contains("regularizers")) return regs;
  const auto& list = row.at("regularizers");
  for (size_t k = 0; k < list.size(); ++k) {
    const auto kpath = fmt::format("{}.regularizers[{}]", rpath, k);
    json r = resolve(list[k], PluginKind::Regularizer, kpath,
                     origin_element(origin_sub(ro, "regularizers"), k, kpath));
    r["weight"] = list[k].contains("weight") ? list[k].at("weight").get<double>() : 1.0;
    regs.push_back(r);
  }
  return regs;
}

// The owner's (a row's or a teacher's) "augmentations", resolved and checked against its method.
json ColumnCells::augmentations(const json& owner, const std::string& path, const json& origin,
                                const json& method, const DataShape& shape) const {
  json out = json::array();
  if (!owner.contains("augmentations")) return out;
  const auto& list = owner.at("augmentations");
  const auto& traits = traits_of(method, plugins_);
  const std::string mname = method.at("plugin");
  std::string mixing;  // the first label-mixing augmentation's path
  for (size_t k = 0; k < list.size(); ++k) {
    const auto kpath = fmt::format("{}.augmentations[{}]", path, k);
    json a = resolve(list[k], PluginKind::Augmentation, kpath,
                     origin_element(origin_sub(origin, "augmentations"), k, kpath));
    const std::string aname = a.at("plugin");
    const auto& ap = plugins_.get(PluginKind::Augmentation, aname);
    if (!traits.uses_training_data)
      throw ConfigError(fmt::format(
          "{}: method '{}' trains on no real data, so it has no batches to augment; remove "
          "\"augmentations\"",
          kpath, mname));
    if (ap.entry.info.augmentation_traits.mixes_labels) {
      if (!traits.accepts_mixed_labels)
        throw ConfigError(fmt::format(
            "{}: '{}' mixes labels but method '{}' trains on single labels (its traits lack "
            "accepts_mixed_labels); use a per-sample augmentation or a method that takes mixed "
            "labels ({})",
            kpath, aname, mname, fmt::join(mixed_label_methods(plugins_), ", ")));
      if (!mixing.empty())
        throw ConfigError(fmt::format(
            "{}: '{}' mixes labels and {} already does; a run takes one mixing augmentation", kpath,
            aname, mixing));
      mixing = kpath;
    }
    // Built once here on the run's data shape, so data it cannot take (CutMix on points) is a
    // ConfigError now rather than a failed run later.
    try {
      ap.entry.make_augmentation(Options(aname, a.at("options")), shape);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", kpath, e.what()));
    }
    out.push_back(std::move(a));
  }
  return out;
}

// The experiment's defaults, then the column's, then the row's.
TrainBlock ColumnCells::student_train(const json& row, const std::string& rpath,
                                      const json& ro) const {
  TrainBlock train{exp_.train, exp_.train_origin};
  if (col_.contains("train")) train.patch(col_.at("train"), origin_sub(co_, "train"));
  if (row.contains("train"))
    train.patch(require_object(row.at("train"), rpath + ".train"), origin_sub(ro, "train"));
  return train;
}

// The config every seed of the row shares (seed and teacher are set per run).
json ColumnCells::student_config(const json& row, const std::string& rpath, const json& ro,
                                 const json& method) const {
  const json regs = student_regularizers(row, rpath, ro);
  const TrainBlock train = student_train(row, rpath, ro);
  const bool own_student = row.contains("student");
  json augs = augmentations(row, rpath, ro, method, shape_);
  json config = {
      {"profile", exp_.profile},
      {"role", "student"},
      {"dataset", dataset_},
      {"model", resolve(own_student ? row.at("student") : col_.at("student"), PluginKind::Model,
                        own_student ? rpath + ".student" : cpath_ + ".student",
                        own_student ? origin_sub(ro, "student") : origin_sub(co_, "student"))},
      {"method", method},
      {"generator", row.contains("generator")
                        ? resolve(row.at("generator"), PluginKind::Generator, rpath + ".generator",
                                  origin_sub(ro, "generator"))
                        : json(nullptr)},
      {"regularizers", regs},
      {"train", resolve_train(train.train, rpath + ".train", train.origin)}};
  if (!augs.empty()) config["augmentations"] = std::move(augs);
  if (row.contains("pruning") && !row.at("pruning").is_null())
    config["pruning"] = resolve(row.at("pruning"), PluginKind::Pruner, rpath + ".pruning",
                                origin_sub(ro, "pruning"));
  return config;
}

size_t ColumnCells::read_row_index(const std::string& name, const std::string& path) const {
  for (size_t i = 0; i < exp_.rows.size(); ++i) {
    if (exp_.rows[i].at("name") != name) continue;
    if (exp_.rows[i].contains("teacher"))
      throw ConfigError(fmt::format(
          "{}: '{}' is the column's teacher row; name a row that trains a student", path, name));
    return i;
  }
  throw ConfigError(fmt::format("{}: no row named '{}'{}; rows: {}", path, name,
                                did_you_mean(name, exp_.row_names()),
                                fmt::join(exp_.row_names(), ", ")));
}

void ColumnCells::add_row(size_t ri, int64_t seeds, std::vector<CellRun>& out) {
  if (row_first_.count(ri)) return;
  const auto rpath = exp_.row_path(ri);
  if (const auto at = std::find(expanding_.begin(), expanding_.end(), ri); at != expanding_.end()) {
    std::vector<std::string> chain;
    for (auto i = at; i != expanding_.end(); ++i) chain.push_back(exp_.rows[*i].at("name"));
    chain.push_back(exp_.rows[ri].at("name"));
    throw ConfigError(fmt::format(
        "{}: init_from / teacher_from read in a cycle ({}); every chain must end in a row that "
        "reads no other row",
        rpath, fmt::join(chain, " -> ")));
  }
  expanding_.push_back(ri);
  const json row = row_for_column(exp_.rows[ri], name_);
  ReadRows reads;
  for (const char* key : {"init_from", "teacher_from"}) {
    if (!row.contains(key) || row.at(key).is_null()) continue;
    const size_t from = read_row_index(row.at(key).get<std::string>(), rpath + "." + key);
    add_row(from, seeds, out);
    reads[key] = row_first_.at(from);
  }
  expanding_.pop_back();
  row_first_[ri] = out.size();
  add_students(ri, row, seeds, reads, out);
}

void ColumnCells::add_students(size_t ri, const json& row, int64_t seeds, const ReadRows& reads,
                               std::vector<CellRun>& out) {
  const auto rpath = exp_.row_path(ri);
  // The row's origins patched exactly as the row was (profile, then by_column).
  const json ro =
      row_for_column(ri < exp_.row_origins.size() ? exp_.row_origins[ri] : json(nullptr), name_);
  const json method = student_method(row, rpath, ro);
  const bool needs_teacher = traits_of(method, plugins_).needs_teacher;
  const json base = student_config(row, rpath, ro, method);
  const auto init = reads.find("init_from"), teacher_from = reads.find("teacher_from");
  if (init != reads.end() && out[init->second].config.at("model") != base.at("model"))
    throw ConfigError(fmt::format(
        "{}.init_from: row '{}' trains {}, this row {}: its weights do not fit; give both rows "
        "the same student",
        rpath, out[init->second].row, out[init->second].config.at("model").dump(),
        base.at("model").dump()));
  if (teacher_from != reads.end() && !needs_teacher)
    throw ConfigError(fmt::format("{}.teacher_from: method '{}' learns from no teacher", rpath,
                                  method.at("plugin").get<std::string>()));
  for (int64_t s = 0; s < seeds; ++s) {
    CellRun run;
    run.row = row.at("name").get<std::string>();
    run.column = name_;
    run.seed = s;
    run.role = "student";
    run.method = method.at("plugin").get<std::string>();
    run.config = base;
    run.config["seed"] = s;
    run.config["teacher"] = nullptr;
    // The same seed of the rows it reads: phases of one network stay within one seed.
    if (init != reads.end()) run.config["init_from"] = out[init->second + s].run_key;
    if (teacher_from != reads.end()) {
      const CellRun& t = out[teacher_from->second + s];
      run.config["teacher"] = t.run_key;
      run.parent_run_key = t.run_key;
      run.parent_row = t.row;
    } else if (needs_teacher) {
      const auto& t = teacher();
      run.config["teacher"] = t.run_key;
      run.parent_run_key = t.run_key;
      run.parent_row = t.row;
    }
    run.run_key = run_key(run.config.get<RunConfig>());
    out.push_back(std::move(run));
  }
}

}  // namespace

// Two rows of one grid that run the same config in a column: a profile or by_column patch replaced
// what the grid varies, and the rows would silently share their runs.
void check_grid_rows_differ(const Experiment& exp, const std::vector<CellRun>& runs, size_t first) {
  std::map<std::string, const CellRun*> by_key;
  for (size_t i = first; i < runs.size(); ++i) {
    const auto [it, fresh] = by_key.emplace(runs[i].run_key, &runs[i]);
    if (fresh || it->second->row == runs[i].row) continue;
    const auto a = exp.rows_named(it->second->row), b = exp.rows_named(runs[i].row);
    const std::string base = exp.row_sources.empty() ? "" : exp.row_sources[a[0]].grid_base;
    if (base.empty() || exp.row_sources[b[0]].grid_base != base) continue;
    throw ConfigError(fmt::format(
        "{}.grid: the grid rows '{}' and '{}' run the same config in column '{}': a profile "
        "patch or the row's by_column patch replaces what the grid varies; remove that patch or "
        "the grid path",
        exp.row_path(a[0]), it->second->row, runs[i].row, runs[i].column));
  }
}

std::vector<CellRun> expand_cells(const Experiment& exp, const PluginHost& plugins,
                                  const CellFilter& filter) {
  check_columns(exp, filter);
  const std::vector<std::string> rows = selected_rows(exp, filter);
  const int64_t seeds = filter.seeds > 0 ? filter.seeds : exp.seeds;
  // Without --dataset, a profile may restrict the columns it runs (e.g. CPU profiles skip CIFAR).
  const std::vector<std::string>& columns =
      filter.columns.empty() ? exp.profile_columns : filter.columns;
  const std::string teacher_row = teacher_row_of(exp);
  std::vector<CellRun> teachers, students;
  for (size_t ci = 0; ci < exp.columns.size(); ++ci) {
    if (!selected(columns, exp.columns[ci].at("name").get<std::string>())) continue;
    ColumnCells column(exp, plugins, ci, teacher_row);
    const size_t column_start = students.size();
    for (size_t ri = 0; ri < exp.rows.size(); ++ri) {
      const json row = row_for_column(exp.rows[ri], column.name());
      if (!selected(rows, row.at("name").get<std::string>())) continue;
      if (row.contains("teacher"))
        column.teacher();
      else
        column.add_row(ri, seeds, students);
    }
    check_grid_rows_differ(exp, students, column_start);
    if (auto teacher = column.needed_teacher()) teachers.push_back(*teacher);
  }
  // Teachers first: the order both schedulers start from (planner/dependencies.hpp).
  teachers.insert(teachers.end(), students.begin(), students.end());
  return teachers;
}

void check_every_profile(const Experiment& exp, const PluginHost& plugins) {
  // Every column, not only those the profile runs by default: --dataset may pick any.
  for (const auto& e : every_profile(exp)) expand_cells(e, plugins, {{}, e.column_names(), 1});
}

}  // namespace dfkd::host
