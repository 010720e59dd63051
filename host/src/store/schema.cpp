#include "store/schema.hpp"

namespace dfkd::host::store_schema {
namespace {

// Version 1: the initial schema. Timestamps are ISO-8601 UTC with milliseconds, as produced by
// strftime('%Y-%m-%dT%H:%M:%fZ','now'); ids are lowercase hex (run/artifact ids: 128 random bits,
// environment/plugin ids: sha256 of their fields) so stores from several machines merge cleanly.
constexpr const char* kV1 = R"sql(
CREATE TABLE experiment (
  name            TEXT PRIMARY KEY NOT NULL,
  title           TEXT NOT NULL DEFAULT '',
  definition_json TEXT NOT NULL,
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE environment (
  environment_id TEXT PRIMARY KEY NOT NULL,
  git_commit     TEXT NOT NULL DEFAULT '',
  git_dirty      INTEGER NOT NULL DEFAULT 0 CHECK (git_dirty IN (0, 1)),
  compiler       TEXT NOT NULL DEFAULT '',
  torch_version  TEXT NOT NULL DEFAULT '',
  device         TEXT NOT NULL DEFAULT '',
  threads        INTEGER NOT NULL DEFAULT 0,
  blas           TEXT NOT NULL DEFAULT '',
  hostname       TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE run (
  run_id         TEXT PRIMARY KEY NOT NULL,
  run_key        TEXT NOT NULL UNIQUE,
  experiment     TEXT NOT NULL,
  row            TEXT NOT NULL DEFAULT '',
  column_name    TEXT NOT NULL DEFAULT '',
  seed           INTEGER NOT NULL DEFAULT 0,
  profile        TEXT NOT NULL DEFAULT '',
  role           TEXT NOT NULL DEFAULT '',
  method         TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'running', 'completed', 'failed', 'killed')),
  attempt        INTEGER NOT NULL DEFAULT 0,
  parent_run_key TEXT,
  parent_run_id  TEXT REFERENCES run (run_id),
  config_json    TEXT NOT NULL,
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  started_at     TEXT,
  finished_at    TEXT,
  heartbeat_at   TEXT,
  claimed_by     TEXT,
  wall_seconds   REAL NOT NULL DEFAULT 0,
  epochs_done    INTEGER NOT NULL DEFAULT 0,
  error          TEXT,
  environment_id TEXT REFERENCES environment (environment_id)
);
CREATE INDEX run_experiment_status ON run (experiment, status);
CREATE INDEX run_status ON run (status);
CREATE INDEX run_created_at ON run (created_at);
CREATE INDEX run_parent_run_id ON run (parent_run_id);
CREATE INDEX run_parent_run_key ON run (parent_run_key);

CREATE TABLE cell (
  experiment  TEXT NOT NULL,
  profile     TEXT NOT NULL,
  row         TEXT NOT NULL,
  column_name TEXT NOT NULL,
  seed        INTEGER NOT NULL,
  run_key     TEXT NOT NULL REFERENCES run (run_key),
  PRIMARY KEY (experiment, profile, row, column_name, seed)
);
CREATE INDEX cell_run_key ON cell (run_key);

CREATE TABLE param (
  run_id     TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value_type TEXT NOT NULL CHECK (value_type IN ('null', 'bool', 'int', 'real', 'text', 'json')),
  value_text TEXT,
  value_real REAL,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX param_key ON param (key);

CREATE TABLE metric (
  run_id TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  epoch  INTEGER NOT NULL,
  step   INTEGER NOT NULL DEFAULT 0,
  value  REAL,
  PRIMARY KEY (run_id, key, epoch)
);

CREATE TABLE metric_summary (
  run_id      TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  final_value REAL,
  best_value  REAL,
  best_epoch  INTEGER NOT NULL DEFAULT 0,
  mode        TEXT NOT NULL CHECK (mode IN ('max', 'min')),
  PRIMARY KEY (run_id, key)
);
CREATE INDEX metric_summary_key ON metric_summary (key);

CREATE TABLE artifact (
  artifact_id TEXT PRIMARY KEY NOT NULL,
  run_id      TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  path        TEXT NOT NULL,
  sha256      TEXT NOT NULL DEFAULT '',
  bytes       INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX artifact_run_kind ON artifact (run_id, kind);

CREATE TABLE plugin (
  plugin_id    TEXT PRIMARY KEY NOT NULL,
  kind         TEXT NOT NULL,
  name         TEXT NOT NULL,
  version      TEXT NOT NULL,
  interface_id TEXT NOT NULL DEFAULT '',
  file_sha256  TEXT NOT NULL DEFAULT '',
  file_path    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX plugin_kind_name ON plugin (kind, name);

CREATE TABLE run_plugin (
  run_id    TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  plugin_id TEXT NOT NULL REFERENCES plugin (plugin_id),
  PRIMARY KEY (run_id, plugin_id)
);
CREATE INDEX run_plugin_plugin ON run_plugin (plugin_id);
)sql";

// Version 2: where runs ingested from Slurm sweep shards came from. One row per ingest that
// changed the store (an unchanged re-ingest adds none).
constexpr const char* kV2 = R"sql(
CREATE TABLE ingest_log (
  run_id      TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  run_key     TEXT NOT NULL,
  status      TEXT NOT NULL,
  source      TEXT NOT NULL,
  sweep_id    TEXT NOT NULL DEFAULT '',
  slurm_job   TEXT NOT NULL DEFAULT '',
  ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX ingest_log_run_key ON ingest_log (run_key);
)sql";

// Version 3: provenance a rerun cannot rewrite. run_input records the exact artifact (by sha256)
// a run learned from (a student's teacher weights); experiment.source_file is the file a stored
// definition came from, so another file reusing the name is not taken silently.
constexpr const char* kV3 = R"sql(
CREATE TABLE run_input (
  run_id      TEXT NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
  role        TEXT NOT NULL,
  artifact_id TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  PRIMARY KEY (run_id, role)
);
CREATE INDEX run_input_artifact ON run_input (artifact_id);
ALTER TABLE experiment ADD COLUMN source_file TEXT NOT NULL DEFAULT '';
)sql";

// Version 4: which machine ran a run. The hostname alone does not tell (cloud machines are all
// "vm"), and a timing means little without the CPU it was measured on; runs recorded before
// version 4 keep '' and 0 ("not recorded").
constexpr const char* kV4 = R"sql(
ALTER TABLE environment ADD COLUMN cpu_model TEXT NOT NULL DEFAULT '';
ALTER TABLE environment ADD COLUMN cpus INTEGER NOT NULL DEFAULT 0;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1,
       "initial schema: experiment, run, cell, param, metric, metric_summary, artifact, "
       "environment, plugin, run_plugin",
       kV1},
      {2, "ingest_log: provenance of runs merged from Slurm sweep shards", kV2},
      {3, "run_input (the artifacts a run learned from, by sha256), experiment.source_file", kV3},
      {4, "environment.cpu_model and environment.cpus: the machine a run's timing comes from", kV4},
  };
  return list;
}

int latest_version() {
  return migrations().empty() ? 0 : migrations().back().version;
}

}  // namespace dfkd::host::store_schema
