// A correct plugin built twice (duplicate_name_a.so, duplicate_name_b.so): both register
// regularizer "dup", so whichever loads second must be refused, naming both files.
#include "wrong_plugin.hpp"

DFKD_PLUGIN(regularizer, "dup", "1.0.0", dfkd_wrong::StubRegularizer)
