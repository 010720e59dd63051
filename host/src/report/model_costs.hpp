#pragma once
/// MACs and parameter counts of every network an experiment uses (teachers and students per
/// column), beside the paper's numbers where the column records them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/experiment.hpp"
#include "loader/plugin_host.hpp"

namespace dfkd::host {

struct ModelCostRow {
  std::string column, role, plugin;
  nlohmann::json options;
  std::vector<int64_t> input_shape;
  int64_t num_classes = 0;
  int64_t macs = 0, parameters = 0;
  nlohmann::json paper;  ///< the column's "paper" entries for this role, if any
};

std::vector<ModelCostRow> model_costs(const Experiment& exp, const PluginHost& plugins);
std::string render_model_costs(const std::vector<ModelCostRow>& rows, bool json);

}  // namespace dfkd::host
