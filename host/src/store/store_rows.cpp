#include "store/store_rows.hpp"

#include <limits>

#include "store/store_sql.hpp"

namespace dfkd::host::store_detail {

double Row::real_or_nan() {
  const SQLite::Column c = next();
  return c.isNull() ? std::numeric_limits<double>::quiet_NaN() : c.getDouble();
}

const char* const kRunColumns =
    "run_id, run_key, experiment, row, column_name, seed, profile, role, method, status, attempt, "
    "parent_run_id, parent_run_key, config_json, created_at, started_at, finished_at, "
    "heartbeat_at, wall_seconds, epochs_done, error, environment_id, "
    "CASE WHEN heartbeat_at IS NULL THEN 0.0 ELSE " DFKD_HEARTBEAT_AGE " END";

RunRecord read_run(Row& row) {
  RunRecord r;
  r.run_id = row.text();
  r.run_key = row.text();
  r.experiment = row.text();
  r.row = row.text();
  r.column = row.text();
  r.seed = row.integer();
  r.profile = row.text();
  r.role = row.text();
  r.method = row.text();
  r.status = run_status_from_string(row.text());
  r.attempt = row.integer();
  r.parent_run_id = row.text();
  r.parent_run_key = row.text();
  const std::string config = row.text();
  r.config = config.empty() ? nlohmann::json()
                            : parse_stored_json(config, "run " + r.run_id + " config_json");
  r.created_at = row.text();
  r.started_at = row.text();
  r.finished_at = row.text();
  r.heartbeat_at = row.text();
  r.wall_seconds = row.real();
  r.epochs_done = row.integer();
  r.error = row.text();
  r.environment_id = row.text();
  r.heartbeat_age_seconds = row.real();
  return r;
}

const char* const kCellColumns = "experiment, profile, row, column_name, seed, run_key";

CellRecord read_cell(Row& row) {
  CellRecord c;
  c.experiment = row.text();
  c.profile = row.text();
  c.row = row.text();
  c.column = row.text();
  c.seed = row.integer();
  c.run_key = row.text();
  return c;
}

const char* const kArtifactColumns = "artifact_id, run_id, kind, path, sha256, bytes, created_at";

ArtifactRecord read_artifact(Row& row) {
  ArtifactRecord a;
  a.artifact_id = row.text();
  a.run_id = row.text();
  a.kind = row.text();
  a.path = row.text();
  a.sha256 = row.text();
  a.bytes = row.integer();
  a.created_at = row.text();
  return a;
}

const char* const kMetricPointColumns = "epoch, step, value";

MetricPoint read_metric_point(Row& row) {
  MetricPoint p;
  p.epoch = row.integer();
  p.step = row.integer();
  p.value = row.real_or_nan();
  return p;
}

const char* const kSummaryColumns = "key, final_value, best_value, best_epoch, mode";

MetricSummary read_summary(Row& row) {
  MetricSummary s;
  s.key = row.text();
  s.final_value = row.real_or_nan();
  s.best_value = row.real_or_nan();
  s.best_epoch = row.integer();
  s.mode = row.text();
  return s;
}

const char* const kRunInputColumns = "role, artifact_id, sha256";

RunInput read_run_input(Row& row) {
  RunInput in;
  in.role = row.text();
  in.artifact_id = row.text();
  in.sha256 = row.text();
  return in;
}

const char* const kIngestLogColumns =
    "run_id, run_key, status, source, sweep_id, slurm_job, ingested_at";

IngestLogEntry read_ingest_log_entry(Row& row) {
  IngestLogEntry e;
  e.run_id = row.text();
  e.run_key = row.text();
  e.status = row.text();
  e.source = row.text();
  e.sweep_id = row.text();
  e.slurm_job = row.text();
  e.ingested_at = row.text();
  return e;
}

std::string read_text(Row& row) {
  return row.text();
}

}  // namespace dfkd::host::store_detail
