#pragma once
/// Forward-only schema migrations of the results store (documented in results/README.md).
/// Migration i brings `PRAGMA user_version` from i-1 to i inside one transaction; a migration,
/// once released, is never edited — later changes append a new migration.
#include <vector>

namespace dfkd::host::store_schema {

struct Migration {
  int version;              ///< user_version after this migration
  const char* description;  ///< one line, for error messages
  const char* sql;          ///< executed as one script inside the migration's transaction
};

/// All migrations in order; migrations()[i].version == i + 1.
const std::vector<Migration>& migrations();

/// The version the newest migration produces (== ResultsStore::kSchemaVersion).
int latest_version();

}  // namespace dfkd::host::store_schema
