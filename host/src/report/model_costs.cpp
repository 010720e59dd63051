#include "report/model_costs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

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
  auto add = [&](const nlohmann::json& column, const std::string& role,
                 const nlohmann::json& model_spec, const DatasetChoice& dataset_spec) {
    const auto& plugin = plugins.get(PluginKind::Model, model_spec.at("plugin").get<std::string>());
    const auto options =
        resolve_options(plugin.entry.info.options, model_spec.value("options", nlohmann::json()),
                        fmt::format("{}.{}", column.at("name").get<std::string>(), role));
    for (const auto& r : rows)
      if (r.column == column.at("name") && r.role == role && r.plugin == plugin.entry.name &&
          r.options == options)
        return;
    // A dataset reports its shape without reading its files, so costs need no data on disk.
    const auto shape = datasets.shape(dataset_spec);
    auto model = plugin.entry.make_model(Options(plugin.entry.name, options), shape);
    const auto cost = model->cost();
    rows.push_back({column.at("name"), role, plugin.entry.name, options, shape.input_shape,
                    shape.num_classes, cost.macs, cost.parameters, paper_for(column, role)});
  };
  for (const auto& column : exp.columns) {
    const auto& dp =
        plugins.get(PluginKind::Dataset, column.at("dataset").at("plugin").get<std::string>());
    DatasetChoice dataset;
    dataset.plugin = dp.entry.name;
    dataset.version = dp.entry.version;
    dataset.options = resolve_options(dp.entry.info.options,
                                      column.at("dataset").value("options", nlohmann::json()),
                                      column.at("name").get<std::string>() + ".dataset");
    if (column.contains("teacher"))
      add(column, "teacher", column.at("teacher").at("model"), dataset);
    add(column, "student", column.at("student"), dataset);
    for (const auto& row : exp.rows)
      if (row.contains("student")) add(column, "student", row.at("student"), dataset);
  }
  return rows;
}

std::string render_model_costs(const std::vector<ModelCostRow>& rows, bool json) {
  if (json) {
    auto out = nlohmann::json::array();
    for (const auto& r : rows)
      out.push_back({{"column", r.column},
                     {"role", r.role},
                     {"plugin", r.plugin},
                     {"options", r.options},
                     {"input_shape", r.input_shape},
                     {"num_classes", r.num_classes},
                     {"macs", r.macs},
                     {"parameters", r.parameters},
                     {"paper", r.paper}});
    return out.dump(2) + "\n";
  }
  std::string s =
      "| Column | Role | Network | MACs / image | Parameters | Paper "
      "|\n|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    std::string paper;
    for (const auto& [k, v] : r.paper.items())
      paper += fmt::format("{}{} {}", paper.empty() ? "" : ", ", k,
                           v.is_string() ? v.get<std::string>() : v.dump());
    s += fmt::format("| {} | {} | {} {} | {} | {} | {} |\n", r.column, r.role, r.plugin,
                     r.options.dump(), human(static_cast<double>(r.macs)),
                     human(static_cast<double>(r.parameters)), paper.empty() ? "-" : paper);
  }
  return s;
}

}  // namespace dfkd::host
