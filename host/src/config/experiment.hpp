#pragma once
/// Experiment files (experiments/*.json): the comparison matrix of rows (methods) x columns
/// (datasets), its profiles, and how each cell resolves into a canonical, hashable run config.
/// The file format is documented in docs/experiments.md.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfkd::host {

class PluginHost;

/// The table's metric and which epoch's value a table cell shows.
struct MetricSelection {
  std::string key = "test_accuracy";
  std::string selection = "final";  ///< "final" (last epoch) or "best" (best epoch; optimistic)
};

struct Figure {
  std::string name;
  std::string kind;  ///< "two_moons_panels"
  nlohmann::json spec;
};

/// The experiment with one profile applied (merge patches resolved), not yet tied to plugins.
struct Experiment {
  std::string name;
  std::string title;
  std::string profile;
  std::string profile_description;
  std::vector<std::string> profile_columns;  ///< columns the profile runs by default (empty: all)
  std::vector<std::string> profiles;  ///< every profile the file defines
  int64_t seeds = 1;
  MetricSelection metric;
  std::vector<nlohmann::json> columns;  ///< each with "name", "dataset", "student", "teacher"
  std::vector<nlohmann::json> rows;     ///< each with "name" and either "teacher": true or "method"
  nlohmann::json train;                 ///< experiment-wide training defaults
  std::vector<Figure> figures;
  nlohmann::json source;  ///< the whole file as read (stored with the runs)
  std::string source_file;  ///< absolute path of the file it was read from ("" if from the store)
  std::string origin;     ///< what error paths start with: the file name (or the stored name)
  /// Where each value of `columns`, `rows` and `train` was written: the same trees with every
  /// value replaced by its JSON path in the file (the base entry, or the profile patch that set
  /// it), so that errors found after merging name the place to fix.
  std::vector<nlohmann::json> column_origins, row_origins;
  nlohmann::json train_origin;

  std::vector<std::string> row_names() const;
  std::vector<std::string> column_names() const;
  /// The paper's number for (row, column), if the file records one.
  std::optional<double> paper_value(const std::string& row, const std::string& column) const;
};

/// Reads and validates `file` and applies `profile` ("" = the file's default profile).
Experiment load_experiment(const std::filesystem::path& file, const std::string& profile);
/// Same from an already parsed definition (e.g. the copy in the results store).
Experiment parse_experiment(const nlohmann::json& source, const std::string& profile,
                            const std::string& origin);

/// One run the matrix needs, with its canonical config and labels.
struct CellRun {
  std::string row, column;
  int64_t seed = 0;
  std::string role;  ///< "teacher" or "student"
  std::string method;
  nlohmann::json config;  ///< canonical: plugin versions + resolved options + train + profile + seed
  std::string run_key;    ///< sha256 of config.dump()
  std::string parent_run_key;
  std::string parent_row;  ///< the teacher's row label ("Teacher")
};

struct CellFilter {
  std::vector<std::string> rows;     ///< empty: all
  std::vector<std::string> columns;  ///< empty: all
  int64_t seeds = 0;                 ///< 0: the profile's count
};

/// Expands rows x columns x seeds into runs, teachers first (a teacher needed by several students
/// appears once). Validates every plugin name and options block against the loaded plugins.
std::vector<CellRun> expand_cells(const Experiment& exp, const PluginHost& plugins,
                                  const CellFilter& filter);

/// Validates every profile of `exp.source` against the plugins too (options, traits), as if each
/// were run on all its columns: a typo in a profile that is not run today is still an error.
void check_every_profile(const Experiment& exp, const PluginHost& plugins);

/// Upper bounds of the train block (docs/experiments.md): values above them are typos, and a
/// batch of 10^9 would only fail as a 32 GB allocation at run time.
constexpr int64_t kMaxEpochs = 100000;
constexpr int64_t kMaxIterationsPerEpoch = 10000000;
constexpr int64_t kMaxBatchSize = 65536;
constexpr int64_t kMaxSaveGenerated = 1000000;

/// Training defaults every run gets unless the experiment or row sets them.
nlohmann::json default_train_block();
/// Validates a train block (after merging) and fills defaults; throws ConfigError naming `path`,
/// or for a value `origin` (a tree like Experiment::train_origin) locates, that value's own path.
nlohmann::json resolve_train(const nlohmann::json& merged, const std::string& path,
                             const nlohmann::json& origin = nullptr);

}  // namespace dfkd::host
