// `dfkd export`: an experiment's completed and diverged runs as a results archive
// (store/archive.hpp); `dfkd ingest` reads archives back (cli/slurm_commands.cpp).
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "config/experiment.hpp"
#include "store/archive.hpp"
#include "store/results_store.hpp"

namespace dfkd::cli {

int cmd_export(const Common& common, const ExportArgs& args) {
  const host::ResultsStore store(db_path(common), host::ResultsStore::Mode::ReadOnly);
  // A JSON file names its experiment; anything else is a name in the store.
  const bool is_file = std::filesystem::is_regular_file(args.experiment);
  host::ExportOptions opt;
  opt.experiment = is_file ? host::load_experiment(args.experiment, "").name : args.experiment;
  opt.profile = args.profile;
  opt.artifacts = args.artifacts == "all" ? host::ExportOptions::Artifacts::All
                                          : host::ExportOptions::Artifacts::Needed;
  const auto sum = host::export_archive(store, args.out, opt);
  fmt::print(
      "dfkd: exported {} completed runs{} of {}{} to {} ({:.1f} MB; artifact files of {} "
      "run{}){}\n",
      sum.runs - sum.diverged,
      sum.diverged ? fmt::format(" and {} that diverged", sum.diverged) : "", opt.experiment,
      opt.profile.empty() ? "" : " (profile " + opt.profile + ")", args.out,
      static_cast<double>(sum.bytes) / 1e6, sum.with_files, sum.with_files == 1 ? "" : "s",
      sum.left_out ? fmt::format("; {} not completed (planned, running, killed, or failed "
                                 "other than by diverging), left out",
                                 sum.left_out)
                   : "");
  fmt::print("      merge it into a store with: dfkd ingest {}\n", args.out);
  return 0;
}

}  // namespace dfkd::cli
