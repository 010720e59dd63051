// `dfkd query` and `dfkd runs`: the commands that print the store's rows as they are.
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "dfkd/errors.hpp"
#include "engine/signals.hpp"
#include "store/results_store.hpp"

namespace dfkd::cli {
namespace {

using host::ResultsStore;

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string json_cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

/// Prints a query's rows as SQLite produces them, so memory stays bounded whatever the query
/// returns: md (unpadded: column widths would need every row first), csv or json.
class QueryPrinter {
 public:
  explicit QueryPrinter(std::string format) : format_(std::move(format)) {}

  void header(const std::vector<std::string>& names) {
    columns_ = names;
    if (format_ == "csv") {
      std::string line;
      for (size_t i = 0; i < columns_.size(); ++i) line += (i ? "," : "") + columns_[i];
      fmt::print("{}\n", line);
    } else if (format_ == "md") {
      std::string line = "|";
      for (const auto& c : columns_) line += " " + md_escape(c) + " |";
      std::string rule = "|";
      for (size_t i = 0; i < columns_.size(); ++i) rule += "---|";
      fmt::print("{}\n{}\n", line, rule);
    }
  }

  void row(const std::vector<nlohmann::json>& row) {
    if (format_ == "json")
      print_json_row(row);
    else if (format_ == "csv")
      print_csv_row(row);
    else
      print_md_row(row);
    ++printed_;
  }

  /// Closes the JSON array: the output stays valid JSON even when the query was cut short.
  void finish() const {
    if (format_ == "json") fmt::print("{}\n", printed_ ? "\n]" : "[]");
  }

  int64_t printed() const { return printed_; }

 private:
  // The elements of a JSON array, as the whole array's dump(2) would print them.
  void print_json_row(const std::vector<nlohmann::json>& row) const {
    nlohmann::json o = nlohmann::json::object();
    for (size_t i = 0; i < columns_.size(); ++i) o[columns_[i]] = row[i];
    const std::string wrapped = nlohmann::json::array({o}).dump(2);  // "[\n  {...}\n]"
    fmt::print("{}", (printed_ ? ",\n" : "[\n") + wrapped.substr(2, wrapped.size() - 4));
  }

  static void print_csv_row(const std::vector<nlohmann::json>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      auto v = json_cell(row[i]);
      if (v.find_first_of(",\"\n") != std::string::npos) {
        std::string q = "\"";
        for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        v = q + "\"";
      }
      line += (i ? "," : "") + v;
    }
    fmt::print("{}\n", line);
  }

  static void print_md_row(const std::vector<nlohmann::json>& row) {
    std::string line = "|";
    for (const auto& v : row) line += " " + md_escape(json_cell(v)) + " |";
    fmt::print("{}\n", line);
  }

  std::string format_;
  std::vector<std::string> columns_;
  int64_t printed_ = 0;
};

/// How the query ended, as `dfkd query`'s exit code, with a note on stderr when it was cut.
int query_exit_code(ResultsStore::QueryEnd end, const QueryArgs& args, int64_t printed) {
  using End = ResultsStore::QueryEnd;
  switch (end) {
    case End::Done:
      return 0;
    case End::RowLimit:
      fmt::print(stderr,
                 "dfkd query: stopped after {} rows (--limit {}); raise --limit (0 = no limit) or "
                 "add LIMIT to the SQL\n",
                 printed, args.limit);
      return 0;
    case End::Timeout:
      fmt::print(
          stderr,
          "dfkd query: stopped after {:g} s (--timeout {:g}) with {} rows printed; the output "
          "is incomplete: narrow the query (WHERE, LIMIT) or raise --timeout (0 = no limit)\n",
          args.timeout, args.timeout, printed);
      return 1;
    case End::Cancelled:
      fmt::print(stderr,
                 "dfkd query: interrupted after {} rows printed; the output is incomplete\n",
                 printed);
      return 128 + host::interrupt_signal();
  }
  return 1;
}
}  // namespace

int cmd_query(const Common& common, const QueryArgs& args) {
  ResultsStore store(db_path(common), ResultsStore::Mode::ReadOnly);
  // Ctrl-C / SIGTERM set a flag the query polls (a second one kills at once).
  host::install_interrupt_handlers();
  ResultsStore::QueryLimits limits;
  limits.max_rows = args.limit;
  limits.timeout_seconds = args.timeout;
  limits.cancelled = [] { return host::interrupt_requested(); };

  QueryPrinter printer(args.format);
  const auto end = store.query(
      args.sql, limits, [&](const std::vector<std::string>& names) { printer.header(names); },
      [&](const std::vector<nlohmann::json>& row) { printer.row(row); });
  printer.finish();
  std::fflush(stdout);
  return query_exit_code(end, args, printer.printed());
}

int cmd_runs(const Common& common, const RunsArgs& args) {
  ResultsStore store(db_path(common), ResultsStore::Mode::ReadOnly);
  if (!args.show_id.empty()) {
    auto run = store.find_run(args.show_id);
    if (!run)
      throw ConfigError(
          fmt::format("no run with id or prefix '{}' in {}", args.show_id, store.path().string()));
    fmt::print(
        "run {}\n  key        {}\n  planned as {} / {} / {} / seed {} (profile {})\n  status     "
        "{} (attempt {}, {} epochs, {:.1f} s)\n",
        run->run_id, run->run_key, run->experiment, run->row.empty() ? run->role : run->row,
        run->column, run->seed, run->profile, host::to_string(run->status), run->attempt,
        run->epochs_done, run->wall_seconds);
    if (const auto env = store.environment(run->environment_id))  // the last attempt's
      fmt::print(
          "  machine    {} (host {}, {} thread{}, {}, dfkd {}{})\n",
          env->cpu_model.empty() ? "CPU not recorded (dfkd before store schema 4)" : env->machine(),
          env->hostname, env->threads, env->threads == 1 ? "" : "s", env->blas,
          env->git_commit.substr(0, 12), env->git_dirty ? " with uncommitted changes" : "");
    for (const auto& c : store.cells_reading(run->run_key))  // every table that reads it
      fmt::print("  cell       {} / {} / {} / seed {} (profile {})\n", c.experiment, c.row,
                 c.column, c.seed, c.profile);
    if (!run->error.empty()) fmt::print("  error      {}\n", run->error);
    if (!run->parent_run_id.empty()) {
      fmt::print("  teacher    {}\n", run->parent_run_id);
      if (const auto in = store.run_input(run->run_id, "teacher")) {
        // Stale when the teacher was retrained since: this run keeps the weights it learned from.
        std::string newest;
        if (const auto arts = store.artifacts(run->parent_run_id, "model"); !arts.empty())
          newest = arts.back().sha256;
        fmt::print(
            "  learned from teacher weights {} (sha256 {}){}\n", in->artifact_id.substr(0, 12),
            in->sha256.substr(0, 16),
            newest.empty() || newest == in->sha256 ? "" : "; the teacher has been retrained since");
      }
    }
    fmt::print("  summaries\n");
    for (const auto& s : store.summaries(run->run_id))
      fmt::print("    {:<20} final {:<10.4g} best {:<10.4g} (epoch {}, {})\n", s.key, s.final_value,
                 s.best_value, s.best_epoch, s.mode);
    fmt::print("  artifacts\n");
    for (const auto& a : store.artifacts(run->run_id))
      fmt::print("    {:<10} {} ({} bytes, sha256 {})\n", a.kind, a.path, a.bytes,
                 a.sha256.substr(0, 16));
    fmt::print("  config\n{}\n", run->config.dump(2));
    return 0;
  }
  fmt::print("{:<12} {:<10} {:<12} {:<12} {:<14} {:<5} {:<10} {:>8}\n", "RUN", "PROFILE",
             "EXPERIMENT", "ROW", "COLUMN", "SEED", "STATUS", "SECONDS");
  auto print = [](const host::RunRecord& r) {
    fmt::print("{:<12} {:<10} {:<12} {:<12} {:<14} {:<5} {:<10} {:>8.1f}\n", r.run_id.substr(0, 12),
               r.profile, r.experiment, r.row, r.column, r.seed, host::to_string(r.status),
               r.wall_seconds);
  };
  if (args.experiment.empty()) {
    for (const auto& r : store.runs("", args.status)) print(r);
    return 0;
  }
  // The experiment's runs under its own row names, wherever they were planned first.
  std::map<std::string, host::CellRecord> cell_of;
  for (const auto& c : store.cells(args.experiment)) cell_of.emplace(c.run_key, c);
  for (auto r : store.runs_of_experiment(args.experiment, args.status)) {
    if (const auto it = cell_of.find(r.run_key); it != cell_of.end())
      r.experiment = args.experiment, r.row = it->second.row;
    else if (r.row.empty())
      r.row = r.role;
    print(r);
  }
  return 0;
}

}  // namespace dfkd::cli
