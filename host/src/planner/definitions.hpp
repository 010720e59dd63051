#pragma once
/// The experiment definition a store keeps (what `dfkd table NAME` and `dfkd status` read): it is
/// never replaced silently.
#include <cstdio>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "store/results_store.hpp"

namespace dfkd::host {

/// What differs between two definitions, by named row / column / profile and other top-level
/// keys, e.g. "rows removed: KD; rows changed: DFAL; title changed". Empty when equal.
std::string describe_definition_change(const nlohmann::json& stored,
                                       const nlohmann::json& incoming);

/// Whether `exp`'s definition may go into the store: a first or unchanged definition may; a
/// changed one may, with a note saying what changed, unless it comes from another file than the
/// stored one or drops rows that have completed runs: then it throws ConfigError (exit 2) naming
/// both, unless `replace` (`--replace-definition`). Writes nothing; `store` may be null.
void check_definition(const Experiment& exp, const ResultsStore* store, bool replace,
                      std::FILE* out);

/// One warning per method row among `rows` (empty: all) that `exp`'s profile leaves unpatched
/// while it patches other rows: such a row runs at the base budget beside rows cut to the
/// profile's, which a table would compare as equals. An empty patch (`"ROW": {}`) says the base
/// settings are meant.
std::vector<std::string> unpatched_row_warnings(const Experiment& exp,
                                                const std::vector<std::string>& rows);

/// check_definition, then stores the definition (and the file it came from).
void store_definition(const Experiment& exp, ResultsStore& store, bool replace, std::FILE* out);

}  // namespace dfkd::host
