#pragma once
/// Internal to store/: SQL fragments and statement helpers shared by the ResultsStore .cpp files.
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

/// Current time as stored everywhere: ISO-8601 UTC with milliseconds.
#define DFKD_NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
/// Seconds since heartbeat_at, evaluated by SQLite (NULL heartbeat counts as infinitely old).
#define DFKD_HEARTBEAT_AGE "((julianday('now') - julianday(heartbeat_at)) * 86400.0)"

namespace dfkd::host::store_detail {

constexpr int kBusyTimeoutMs = 10000;

/// JSON the store holds (definitions and configs dfkd wrote from experiment files, or a store
/// edited by hand): parsed with the depth limit, so a hostile value cannot crash the reader.
nlohmann::json parse_stored_json(const std::string& text, const std::string& origin);

/// An empty string is stored as NULL (e.g. "no parent").
void bind_text_or_null(SQLite::Statement& st, int index, const std::string& value);
/// SQLite has no NaN: NaN is stored as NULL and reads back as NaN (Row::real_or_nan).
void bind_real_or_null(SQLite::Statement& st, int index, double value);

/// Whether `run_id` names a run of `db`.
bool run_exists(SQLite::Database& db, const std::string& run_id);

/// A read-only connection that also works in a directory the user cannot write (results_store.cpp).
std::unique_ptr<SQLite::Database> open_reader(const std::filesystem::path& path,
                                              int busy_timeout_ms);

}  // namespace dfkd::host::store_detail
