#include "report/model_costs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "engine/builders.hpp"

namespace dfkd::host {
namespace {

std::string human(double v) {
  if (v >= 1e9) return fmt::format("{:.3g} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.3g} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.3g} K", v / 1e3);
  return fmt::format("{:.0f}", v);
}

nlohmann::json paper_for(const nlohmann::json& column, const std::string& role) {
  nlohmann::json out = nlohmann::json::object();
  if (!column.contains("paper")) return out;
  for (const auto& [key, value] : column.at("paper").items())
    if (key.rfind(role + "_", 0) == 0) out[key.substr(role.size() + 1)] = value;
  return out;
}

}  // namespace

std::vector<ModelCostRow> model_costs(const Experiment& exp, const PluginHost& plugins) {
  std::vector<ModelCostRow> rows;
  DatasetCache datasets(plugins);
  for (const auto& run : expand_cells(exp, plugins, {{}, exp.column_names(), 1})) {
    const bool seen = std::any_of(rows.begin(), rows.end(), [&](const ModelCostRow& r) {
      return r.column == run.column && r.role == run.role && r.options == run.config["model"]["options"] &&
             r.plugin == run.config["model"]["plugin"];
    });
    if (seen) continue;
    // A dataset reports its shape without reading its files, so costs need no data on disk.
    const auto shape = datasets.shape(run.config.at("dataset"));
    auto model = build_model(plugins, run.config.at("model"), shape);
    const auto cost = model->cost();
    nlohmann::json column;
    for (const auto& c : exp.columns)
      if (c.at("name") == run.column) column = c;
    rows.push_back({run.column, run.role, run.config["model"]["plugin"], run.config["model"]["options"],
                    shape.input_shape, shape.num_classes, cost.macs, cost.parameters,
                    paper_for(column, run.role)});
  }
  return rows;
}

std::string render_model_costs(const std::vector<ModelCostRow>& rows, bool json) {
  if (json) {
    auto out = nlohmann::json::array();
    for (const auto& r : rows)
      out.push_back({{"column", r.column}, {"role", r.role}, {"plugin", r.plugin}, {"options", r.options},
                     {"input_shape", r.input_shape}, {"num_classes", r.num_classes}, {"macs", r.macs},
                     {"parameters", r.parameters}, {"paper", r.paper}});
    return out.dump(2) + "\n";
  }
  std::string s = "| Column | Role | Network | MACs / image | Parameters | Paper |\n|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    std::string paper;
    for (const auto& [k, v] : r.paper.items())
      paper += fmt::format("{}{} {}", paper.empty() ? "" : ", ", k, v.is_string() ? v.get<std::string>() : v.dump());
    s += fmt::format("| {} | {} | {} {} | {} | {} | {} |\n", r.column, r.role, r.plugin, r.options.dump(),
                     human(static_cast<double>(r.macs)), human(static_cast<double>(r.parameters)),
                     paper.empty() ? "-" : paper);
  }
  return s;
}

}  // namespace dfkd::host
