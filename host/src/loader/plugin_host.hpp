#pragma once
/// Discovers, validates and registers plugin libraries. Libraries are never unloaded: LibTorch
/// plugins crash in operator-deregistration destructors on dlclose.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dfkd/plugin.hpp"

namespace dfkd::host {

enum class LoadStatus {
  Loaded,
  NotFound,        ///< no file (or directory) at the path
  BadFile,         ///< not a complete ELF shared library for this machine (e.g. truncated);
                   ///< refused before dlopen, which would crash on it
  LoadFailed,      ///< the file exists but the dynamic linker rejects it (or it cannot be read)
  MissingSymbol,   ///< no DFKD_PLUGIN_ENTRY alias
  WrongAbi,        ///< abi_version / struct_size / torch_version / cxx11_abi differ from the host
  WrongInterface,  ///< interface id or kind not what this host implements
  InitFailed,      ///< register function threw, registered nothing / something else, or a duplicate
};
const char* to_string(LoadStatus status);

/// Outcome of loading one file; failures are values, with a message naming file, field,
/// expected and found.
struct LoadResult {
  LoadStatus status = LoadStatus::NotFound;
  std::filesystem::path file;
  std::string message;  ///< empty when Loaded
  bool ok() const { return status == LoadStatus::Loaded; }
};

/// The checks PluginHost::load() makes on the descriptor a plugin's entry returns, field by field
/// in layout order, before it calls any C++ in the plugin. Reads only the descriptor's fields and
/// the strings they point to (fuzzed on arbitrary descriptors: tests/fuzz/descriptor_fuzz.cpp).
struct DescriptorCheck {
  LoadStatus status = LoadStatus::Loaded;  ///< Loaded, WrongAbi or WrongInterface
  std::string what;                        ///< "<field>: expected ..., found ..."; empty when ok
  PluginKind kind = PluginKind::Model;     ///< the parsed kind, when ok
  bool ok() const { return status == LoadStatus::Loaded; }
};
DescriptorCheck check_descriptor(const PluginDescriptor& descriptor);

/// A registered plugin plus where it came from.
struct LoadedPlugin {
  PluginEntry entry;
  std::filesystem::path file;
  std::string file_sha256;
  std::string interface_id;
  std::string torch_version;
};

class PluginHost {
 public:
  PluginHost();
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  /// Default search path: <dir of the running executable>/../plugins (the build and install
  /// layouts), then every entry of DFKD_PLUGIN_PATH (':'-separated).
  static std::vector<std::filesystem::path> default_search_path();

  /// Loads every *.so found (recursively) under `dirs`; returns one result per file. Entries are
  /// taken in order (an earlier one wins a duplicate name), the files of each sorted; an entry
  /// may also name one library; a missing directory is a NotFound result.
  std::vector<LoadResult> load_all(const std::vector<std::filesystem::path>& dirs);
  /// Validates the descriptor, then registers the library's plugin. Loading a file this host
  /// already loaded is a no-op; the library stays loaded until exit whatever the outcome.
  LoadResult load(const std::filesystem::path& file);

  /// The plugin of `kind` named `name`; throws ConfigError listing the known names if absent.
  const LoadedPlugin& get(PluginKind kind, const std::string& name) const;
  const LoadedPlugin* find(PluginKind kind, const std::string& name) const;
  std::vector<const LoadedPlugin*> plugins() const;  ///< sorted by kind, name
  const std::vector<LoadResult>& failures() const { return failures_; }

 private:
  /// load() without recording a failure.
  LoadResult load_checked(const std::filesystem::path& file);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<LoadResult> failures_;
};

}  // namespace dfkd::host
