#pragma once
/// Internal to store/: result rows turned into the records of results_store.hpp. Each record has
/// one column list and one reader, so a SELECT and the code reading its row cannot drift apart.
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/results_store.hpp"
#include "store/store_errors.hpp"

namespace dfkd::host::store_detail {

/// The current row of a statement, read column by column in SELECT order: readers list the
/// fields they fill instead of numbering columns.
class Row {
 public:
  explicit Row(SQLite::Statement& st) : st_(st) {}
  std::string text() { return store_detail::text(next()); }  ///< NULL reads as ""
  int64_t integer() { return next().getInt64(); }            ///< NULL reads as 0
  double real() { return next().getDouble(); }               ///< NULL reads as 0
  double real_or_nan();                                      ///< NULL reads as NaN

 private:
  SQLite::Column next() { return st_.getColumn(column_++); }
  SQLite::Statement& st_;
  int column_ = 0;
};

template <class Read>
using RowRecord = decltype(std::declval<Read&>()(std::declval<Row&>()));

/// Every remaining row of `st`, each turned into a record by `read(Row&)`.
template <class Read>
std::vector<RowRecord<Read>> read_rows(SQLite::Statement& st, Read read) {
  std::vector<RowRecord<Read>> out;
  while (st.executeStep()) {
    Row row(st);
    out.push_back(read(row));
  }
  return out;
}

/// The next row of `st` as a record; nullopt when there is none.
template <class Read>
std::optional<RowRecord<Read>> read_first_row(SQLite::Statement& st, Read read) {
  if (!st.executeStep()) return std::nullopt;
  Row row(st);
  return read(row);
}

// Column lists for "SELECT {} FROM <table>", each with the reader of its row.
extern const char* const kRunColumns;  ///< table run
RunRecord read_run(Row& row);
extern const char* const kCellColumns;  ///< table cell
CellRecord read_cell(Row& row);
extern const char* const kArtifactColumns;  ///< table artifact
ArtifactRecord read_artifact(Row& row);
extern const char* const kMetricPointColumns;  ///< table metric
MetricPoint read_metric_point(Row& row);
extern const char* const kSummaryColumns;  ///< table metric_summary
MetricSummary read_summary(Row& row);
extern const char* const kRunInputColumns;  ///< table run_input
RunInput read_run_input(Row& row);
extern const char* const kIngestLogColumns;  ///< table ingest_log
IngestLogEntry read_ingest_log_entry(Row& row);
/// A single text column (names, keys).
std::string read_text(Row& row);

}  // namespace dfkd::host::store_detail
