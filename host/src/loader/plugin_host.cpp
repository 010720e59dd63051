#include "loader/plugin_host.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

#include <boost/dll/shared_library.hpp>

#include "dfkd/errors.hpp"
#include "loader/elf_check.hpp"
#include "util/hash.hpp"

namespace dfkd::host {

namespace fs = std::filesystem;

const char* to_string(LoadStatus status) {
  switch (status) {
    case LoadStatus::Loaded:
      return "loaded";
    case LoadStatus::NotFound:
      return "not_found";
    case LoadStatus::BadFile:
      return "bad_file";
    case LoadStatus::LoadFailed:
      return "load_failed";
    case LoadStatus::MissingSymbol:
      return "missing_symbol";
    case LoadStatus::WrongAbi:
      return "wrong_abi";
    case LoadStatus::WrongInterface:
      return "wrong_interface";
    case LoadStatus::InitFailed:
      return "init_failed";
  }
  return "?";
}

namespace {

constexpr PluginKind kAllKinds[] = {
    PluginKind::Model,  PluginKind::Dataset,      PluginKind::Generator, PluginKind::Regularizer,
    PluginKind::Method, PluginKind::Augmentation, PluginKind::Pruner};

// Every library ever opened stays open until the process exits: LibTorch plugins register
// operators and dispatcher entries from static initialisers and crash in the matching destructors
// on dlclose (and a plugin may have handed out vtables, std::function targets or tensors whose
// deleters live in its text). The container is leaked on purpose so that no static destructor
// closes the handles either; it is shared by every PluginHost because the dynamic linker is
// process-wide anyway (a second dlopen of the same file returns the same handle).
void keep_forever(boost::dll::shared_library library) {
  static std::mutex mutex;
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  std::lock_guard<std::mutex> lock(mutex);
  libraries->push_back(std::move(library));
}

std::string quoted(const char* s) {
  return s ? fmt::format("\"{}\"", s) : std::string("null");
}

std::optional<PluginKind> parse_kind(const char* s) {
  if (!s) return std::nullopt;
  for (PluginKind k : kAllKinds)
    if (std::string_view(s) == to_string(k)) return k;
  return std::nullopt;
}

// "\"model\", \"dataset\", ..." from kAllKinds, so a new kind is listed without editing a message.
std::string known_kinds() {
  std::string out;
  for (PluginKind k : kAllKinds)
    out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", to_string(k));
  return out;
}

bool has_factory(const PluginEntry& e) {
  switch (e.kind) {
    case PluginKind::Model:
      return e.make_model != nullptr;
    case PluginKind::Dataset:
      return e.make_dataset != nullptr;
    case PluginKind::Generator:
      return e.make_generator != nullptr;
    case PluginKind::Regularizer:
      return e.make_regularizer != nullptr;
    case PluginKind::Method:
      return e.make_method != nullptr;
    case PluginKind::Augmentation:
      return e.make_augmentation != nullptr;
    case PluginKind::Pruner:
      return e.make_pruner != nullptr;
  }
  return false;
}

const char* factory_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::Model:
      return "make_model";
    case PluginKind::Dataset:
      return "make_dataset";
    case PluginKind::Generator:
      return "make_generator";
    case PluginKind::Regularizer:
      return "make_regularizer";
    case PluginKind::Method:
      return "make_method";
    case PluginKind::Augmentation:
      return "make_augmentation";
    case PluginKind::Pruner:
      return "make_pruner";
  }
  return "?";
}

/// The registry handed to one plugin's register function: it only collects, the host validates
/// afterwards so that every problem becomes a LoadResult naming both files where relevant.
class CapturingRegistry final : public Registry {
 public:
  void add(PluginEntry entry) override { entries.push_back(std::move(entry)); }
  std::vector<PluginEntry> entries;
};

fs::path absolute_normal(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = p;
  fs::path canon = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : canon;
}

LoadResult refusal(const fs::path& path, LoadStatus status, const std::string& what) {
  return LoadResult{status, path, fmt::format("plugin '{}': {}", path.string(), what)};
}

/// Opens the library and calls its entry symbol; `descriptor` is what the entry returned. The
/// library stays open from here on, whatever the outcome.
std::optional<LoadResult> open_plugin_library(const fs::path& path,
                                              const PluginDescriptor*& descriptor) {
  // rtld_now: an unresolved symbol fails here, as a LoadResult, instead of aborting the
  // process in the middle of a run. RTLD_LOCAL (the default): plugins resolve against their
  // own DT_NEEDED libraries (libdfkd_sdk, LibTorch — already global through the host) and
  // never against each other, so two plugins with equally named helpers cannot interpose.
  dlerror();  // clear any stale message so the one below is ours
  boost::dll::shared_library library;
  boost::dll::fs::error_code bec;
  library.load(boost::dll::fs::path(path.string()), boost::dll::load_mode::rtld_now, bec);
  if (bec || !library.is_loaded()) {
    const char* why = dlerror();
    return refusal(path, LoadStatus::LoadFailed,
                   fmt::format("file: expected a loadable shared library, found one the dynamic "
                               "linker rejects: {}",
                               why ? why : bec.message()));
  }
  const bool has_entry = library.has(DFKD_PLUGIN_ENTRY);
  const PluginDescriptor* (*entry)() = nullptr;
  if (has_entry) entry = &library.get_alias<const PluginDescriptor*()>(DFKD_PLUGIN_ENTRY);
  keep_forever(std::move(library));
  if (!has_entry)
    return refusal(path, LoadStatus::MissingSymbol,
                   "entry symbol: expected '" DFKD_PLUGIN_ENTRY
                   "', found none; declare the plugin with DFKD_PLUGIN(kind, name, version, "
                   "Class) or move this library out of the plugin search path");
  descriptor = entry();
  if (!descriptor)
    return refusal(path, LoadStatus::MissingSymbol,
                   "entry symbol: expected '" DFKD_PLUGIN_ENTRY
                   "' to return a descriptor, found null; declare the plugin with DFKD_PLUGIN");
  return std::nullopt;
}

/// Calls the plugin's register function; `entries` receives what it registered.
std::optional<LoadResult> call_register_fn(const PluginDescriptor& d, const std::string& what,
                                           const fs::path& path,
                                           std::vector<PluginEntry>& entries) {
  // Exceptions must be caught here, while the library that threw them is loaded (it always
  // is, but the rule keeps the message's storage valid for the copy below).
  CapturingRegistry registry;
  try {
    d.register_fn(registry);
  } catch (const std::exception& e) {
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("register_fn: expected to register {}, found an exception: {}; fix "
                               "the plugin's info() or registration",
                               what, e.what()));
  } catch (...) {
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("register_fn: expected to register {}, found an exception of "
                               "unknown type; fix the plugin's info() or registration",
                               what));
  }
  entries = std::move(registry.entries);
  return std::nullopt;
}

/// Registers the library's one plugin into `out`, checked against its (already checked)
/// descriptor: the same kind, name and version, and a factory.
std::optional<LoadResult> register_plugin(const PluginDescriptor& d, PluginKind kind,
                                          const fs::path& path, PluginEntry& out) {
  const std::string what = fmt::format("{} '{}'", to_string(kind), d.name);
  std::vector<PluginEntry> entries;
  if (auto refused = call_register_fn(d, what, path, entries)) return refused;
  if (entries.size() != 1)
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("register_fn: expected exactly 1 entry ({}), found {}; a plugin "
                               "library registers one plugin, with DFKD_PLUGIN",
                               what, entries.size()));
  PluginEntry& e = entries.front();
  if (e.kind != kind)
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("registered kind: expected {} (the descriptor's), found {}; use the "
                               "same kind in the descriptor and the registered entry",
                               to_string(kind), to_string(e.kind)));
  if (e.name != d.name)
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("registered name: expected \"{}\" (the descriptor's), found \"{}\"; "
                               "use the same name in the descriptor and the registered entry",
                               d.name, e.name));
  if (e.version != d.version)
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("registered version: expected \"{}\" (the descriptor's), found "
                               "\"{}\"; use the same version in the descriptor and the entry",
                               d.version, e.version));
  if (!has_factory(e))
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("registered factory: expected {} for {}, found null",
                               factory_name(kind), what));
  out = std::move(e);
  return std::nullopt;
}

}  // namespace

DescriptorCheck check_descriptor(const PluginDescriptor& descriptor) {
  const PluginDescriptor* d = &descriptor;
  auto fail = [](LoadStatus status, std::string what) {
    return DescriptorCheck{status, std::move(what), PluginKind::Model};
  };
  // The descriptor is checked field by field, in layout order, before any C++ in the plugin
  // runs: a different abi_version or struct_size means later fields may not even exist.
  constexpr const char* kRebuild = "rebuild the plugin against this dfkd SDK";
  if (d->abi_version != DFKD_ABI_VERSION)
    return fail(LoadStatus::WrongAbi, fmt::format("abi_version: expected {}, found {}; {}",
                                                  DFKD_ABI_VERSION, d->abi_version, kRebuild));
  if (d->struct_size != sizeof(PluginDescriptor))
    return fail(LoadStatus::WrongAbi,
                fmt::format("struct_size: expected {}, found {}; {}", sizeof(PluginDescriptor),
                            d->struct_size, kRebuild));
  if (!d->torch_version || std::string_view(d->torch_version) != TORCH_VERSION)
    return fail(LoadStatus::WrongAbi,
                fmt::format("torch_version: expected \"{}\", found {}; rebuild the plugin "
                            "against the LibTorch this host uses ({})",
                            TORCH_VERSION, quoted(d->torch_version), TORCH_VERSION));
  if (d->cxx11_abi != _GLIBCXX_USE_CXX11_ABI)
    return fail(LoadStatus::WrongAbi,
                fmt::format("cxx11_abi: expected {}, found {}; rebuild the plugin with "
                            "-D_GLIBCXX_USE_CXX11_ABI={} (the host's and LibTorch's setting)",
                            _GLIBCXX_USE_CXX11_ABI, d->cxx11_abi, _GLIBCXX_USE_CXX11_ABI));
  const std::optional<PluginKind> kind = parse_kind(d->kind);
  if (!kind)
    return fail(LoadStatus::WrongInterface,
                fmt::format("kind: expected one of {}, found {}; declare the plugin with "
                            "DFKD_PLUGIN(<kind>, ...)",
                            known_kinds(), quoted(d->kind)));
  const char* iface = interface_id(*kind);
  if (!d->interface_id || std::string_view(d->interface_id) != iface)
    return fail(LoadStatus::WrongInterface,
                fmt::format("interface_id: expected \"{}\", found {}; {} (a {} plugin must "
                            "implement {})",
                            iface, quoted(d->interface_id), kRebuild, to_string(*kind), iface));
  if (!d->name || !*d->name)
    return fail(LoadStatus::WrongInterface,
                fmt::format("name: expected a non-empty string, found {}; declare the plugin "
                            "with DFKD_PLUGIN(kind, \"name\", ...)",
                            d->name ? "\"\"" : "null"));
  if (!d->version || !*d->version)
    return fail(LoadStatus::WrongInterface,
                fmt::format("version: expected a non-empty string, found {}; declare the "
                            "plugin with DFKD_PLUGIN(kind, name, \"1.0.0\", ...)",
                            d->version ? "\"\"" : "null"));
  if (!d->register_fn)
    return fail(LoadStatus::WrongInterface,
                "register_fn: expected a function, found null; declare the plugin with "
                "DFKD_PLUGIN");

  return DescriptorCheck{LoadStatus::Loaded, {}, *kind};
}

struct PluginHost::Impl {
  using Key = std::pair<PluginKind, std::string>;
  std::map<Key, LoadedPlugin> plugins;
  std::map<fs::path, Key> by_file;  ///< canonical file -> what it registered
  std::vector<fs::path> searched;   ///< directories given to load_all, for error messages
};

PluginHost::PluginHost() : impl_(std::make_unique<Impl>()) {}
// Destroys only the host's bookkeeping; the libraries stay loaded (see keep_forever).
PluginHost::~PluginHost() = default;

std::vector<fs::path> PluginHost::default_search_path() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = (exe.parent_path() / ".." / "plugins").lexically_normal();
    if (fs::is_directory(beside, ec)) dirs.push_back(beside);
  }
  if (const char* env = std::getenv("DFKD_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      const std::string_view entry = rest.substr(0, colon);
      if (!entry.empty()) dirs.emplace_back(std::string(entry));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return dirs;
}

std::vector<LoadResult> PluginHost::load_all(const std::vector<fs::path>& dirs) {
  std::vector<LoadResult> results;
  auto refuse_dir = [&](const fs::path& dir, const std::string& what) {
    LoadResult r{LoadStatus::NotFound, dir,
                 fmt::format("plugin search path '{}': {}", dir.string(), what)};
    failures_.push_back(r);
    results.push_back(std::move(r));
  };
  // Directories in the given order (so an earlier one wins a duplicate name), the files of each
  // sorted (directory iteration order is not reproducible), every file once even when the
  // search path names a directory twice.
  std::set<fs::path> seen;
  for (const auto& dir : dirs) {
    impl_->searched.push_back(dir);
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_regular_file(dir, ec)) {  // a DFKD_PLUGIN_PATH entry may name one library
      files.push_back(absolute_normal(dir));
    } else if (!fs::is_directory(dir, ec)) {
      refuse_dir(dir,
                 "expected a directory of plugins, found nothing; fix the path "
                 "(DFKD_PLUGIN_PATH?)");
      continue;
    } else {
      const auto options = fs::directory_options::follow_directory_symlink |
                           fs::directory_options::skip_permission_denied;
      for (fs::recursive_directory_iterator it(dir, options, ec), end; !ec && it != end;
           it.increment(ec)) {
        std::error_code fec;
        if (it->path().extension() == ".so" && it->is_regular_file(fec))
          files.push_back(absolute_normal(it->path()));
      }
      if (ec) refuse_dir(dir, fmt::format("cannot scan the directory: {}", ec.message()));
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
      if (seen.insert(f).second) results.push_back(load(f));
  }
  return results;
}

LoadResult PluginHost::load(const fs::path& file) {
  LoadResult result = load_checked(file);
  if (!result.ok()) failures_.push_back(result);
  return result;
}

LoadResult PluginHost::load_checked(const fs::path& file) {
  const fs::path path = absolute_normal(file);
  std::error_code ec;
  if (!fs::exists(path, ec))
    return refusal(path, LoadStatus::NotFound,
                   "file: expected a plugin library, found nothing at this path; check the "
                   "plugin search path");
  if (impl_->by_file.count(path)) return LoadResult{LoadStatus::Loaded, path, {}};
  // dlopen() trusts the ELF headers: a truncated library (an interrupted build) is mapped
  // anyway and kills the process with SIGBUS. Look at the headers first.
  if (auto problem = check_elf_library(path))
    return refusal(path, LoadStatus::BadFile, "file: " + *problem);
  const PluginDescriptor* d = nullptr;
  if (auto refused = open_plugin_library(path, d)) return *refused;

  // The descriptor is checked field by field before any C++ in the plugin runs.
  const DescriptorCheck check = check_descriptor(*d);
  if (!check.ok()) return refusal(path, check.status, check.what);
  const std::string what = fmt::format("{} '{}'", to_string(check.kind), d->name);
  const Impl::Key key{check.kind, d->name};
  if (auto it = impl_->plugins.find(key); it != impl_->plugins.end())
    return refusal(path, LoadStatus::InitFailed,
                   fmt::format("{}: expected a unique name, found it already registered by '{}'; "
                               "remove one of the two libraries from the plugin search path",
                               what, it->second.file.string()));
  LoadedPlugin loaded;
  if (auto refused = register_plugin(*d, check.kind, path, loaded.entry)) return *refused;
  try {
    loaded.file_sha256 = sha256_file(path);
  } catch (const std::exception& ex) {
    return refusal(path, LoadStatus::LoadFailed,
                   fmt::format("file: cannot hash it: {}", ex.what()));
  }
  loaded.file = path;
  loaded.interface_id = d->interface_id;
  loaded.torch_version = d->torch_version;
  impl_->plugins.emplace(key, std::move(loaded));
  impl_->by_file.emplace(path, key);
  return LoadResult{LoadStatus::Loaded, path, {}};
}

const LoadedPlugin* PluginHost::find(PluginKind kind, const std::string& name) const {
  auto it = impl_->plugins.find({kind, name});
  return it == impl_->plugins.end() ? nullptr : &it->second;
}

const LoadedPlugin& PluginHost::get(PluginKind kind, const std::string& name) const {
  if (const LoadedPlugin* p = find(kind, name)) return *p;
  std::vector<std::string> known;
  std::vector<std::string> other_kinds;
  for (const auto& [key, plugin] : impl_->plugins) {
    if (key.first == kind)
      known.push_back(key.second);
    else if (key.second == name)
      other_kinds.push_back(to_string(key.first));
  }
  std::string msg = fmt::format("unknown {} plugin '{}'; ", to_string(kind), name);
  if (known.empty()) {
    std::vector<std::string> dirs;
    for (const auto& d : impl_->searched) dirs.push_back(d.string());
    const std::string searched =
        dirs.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(dirs, ", "));
    msg += fmt::format(
        "no {} plugins are loaded (searched: {}); build the plugins or set "
        "DFKD_PLUGIN_PATH",
        to_string(kind), searched);
  } else {
    msg += fmt::format("known {}s: {}", to_string(kind), fmt::join(known, ", "));
  }
  if (!other_kinds.empty())
    msg += fmt::format(" (a {} plugin has that name)", fmt::join(other_kinds, ", "));
  throw ConfigError(msg);
}

std::vector<const LoadedPlugin*> PluginHost::plugins() const {
  std::vector<const LoadedPlugin*> out;
  out.reserve(impl_->plugins.size());
  for (const auto& kv : impl_->plugins) out.push_back(&kv.second);
  return out;
}

}  // namespace dfkd::host
