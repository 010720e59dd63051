// PluginHost: one test per deliberately broken plugin in tests/plugins/wrong/ (status and every
// part of the message), plus discovery, lookup and lifetime.
#include <dlfcn.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>

#include "dfkd/errors.hpp"
#include "loader/plugin_host.hpp"
#include "support/expect_throw.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"
#include "util/hash.hpp"

namespace {

namespace fs = std::filesystem;
using dfkd::PluginKind;
using dfkd::host::LoadResult;
using dfkd::host::LoadStatus;
using dfkd::host::PluginHost;

fs::path wrong_plugin(const std::string& name) {
  return fs::path(DFKD_WRONG_PLUGIN_DIR) / (name + ".so");
}

/// Passes when `text` contains every one of `parts`; the failure shows the whole text.
::testing::AssertionResult contains_all(const std::string& text,
                                        std::initializer_list<std::string> parts) {
  for (const auto& part : parts)
    if (text.find(part) == std::string::npos)
      return ::testing::AssertionFailure() << "missing \"" << part << "\" in:\n  " << text;
  return ::testing::AssertionSuccess();
}

/// Loads one wrong plugin into a fresh host and checks status and the message parts.
void expect_refused(const std::string& name, LoadStatus status,
                    std::initializer_list<std::string> parts) {
  PluginHost host;
  const LoadResult r = host.load(wrong_plugin(name));
  EXPECT_EQ(r.status, status) << dfkd::host::to_string(r.status) << ": " << r.message;
  EXPECT_TRUE(contains_all(r.message, {"plugin '", name + ".so'"}));
  EXPECT_TRUE(contains_all(r.message, parts));
  EXPECT_TRUE(host.plugins().empty());
  ASSERT_EQ(host.failures().size(), 1u);
  EXPECT_EQ(host.failures()[0].message, r.message);
}

using dfkd::test_support::ScopedEnv;

// ==== one test per wrong plugin ====

TEST(PluginHostWrong, WrongAbiVersion) {
  expect_refused("wrong_abi", LoadStatus::WrongAbi,
                 {fmt::format("abi_version: expected {}, found 999", DFKD_ABI_VERSION),
                  "rebuild the plugin against this dfkd SDK"});
}

TEST(PluginHostWrong, WrongStructSize) {
  expect_refused("wrong_struct_size", LoadStatus::WrongAbi,
                 {fmt::format("struct_size: expected {}, found 8", sizeof(dfkd::PluginDescriptor)),
                  "rebuild the plugin"});
}

TEST(PluginHostWrong, WrongTorchVersion) {
  expect_refused("wrong_torch_version", LoadStatus::WrongAbi,
                 {fmt::format("torch_version: expected \"{}\", found \"0.4.1\"", TORCH_VERSION),
                  "rebuild the plugin against the LibTorch this host uses"});
}

TEST(PluginHostWrong, WrongCxx11Abi) {
  expect_refused("wrong_cxx11_abi", LoadStatus::WrongAbi,
                 {fmt::format("cxx11_abi: expected {}, found {}", _GLIBCXX_USE_CXX11_ABI,
                              _GLIBCXX_USE_CXX11_ABI ? 0 : 1),
                  "_GLIBCXX_USE_CXX11_ABI"});
}

TEST(PluginHostWrong, NullTorchVersionIsAMessageNotACrash) {
  expect_refused("null_torch_version", LoadStatus::WrongAbi,
                 {fmt::format("torch_version: expected \"{}\", found null", TORCH_VERSION)});
}

TEST(PluginHostWrong, WrongInterfaceVersion) {
  expect_refused("wrong_interface", LoadStatus::WrongInterface,
                 {"interface_id: expected \"dfkd.Method/1\", found \"dfkd.Method/0\"",
                  "rebuild the plugin against this dfkd SDK"});
}

TEST(PluginHostWrong, UnknownKind) {
  expect_refused("wrong_kind", LoadStatus::WrongInterface,
                 {"kind: expected one of \"model\", \"dataset\", \"generator\", \"regularizer\", "
                  "\"method\", \"augmentation\", \"pruner\", found \"widget\""});
}

TEST(PluginHostWrong, NullNameIsAMessageNotACrash) {
  expect_refused("null_name", LoadStatus::WrongInterface,
                 {"name: expected a non-empty string, found null"});
}

TEST(PluginHostWrong, MissingEntrySymbol) {
  expect_refused("missing_entry", LoadStatus::MissingSymbol,
                 {"entry symbol: expected 'dfkd_plugin', found none", "DFKD_PLUGIN("});
}

TEST(PluginHostWrong, RegisterFunctionThrows) {
  expect_refused("register_throws", LoadStatus::InitFailed,
                 {"register_fn: expected to register regularizer 'register_throws', found an "
                  "exception: boom"});
}

TEST(PluginHostWrong, RegistersNothing) {
  expect_refused("registers_nothing", LoadStatus::InitFailed,
                 {"register_fn: expected exactly 1 entry (regularizer 'registers_nothing'), "
                  "found 0"});
}

TEST(PluginHostWrong, RegisteredNameDiffersFromDescriptor) {
  expect_refused("name_mismatch", LoadStatus::InitFailed,
                 {"registered name: expected \"name_mismatch\" (the descriptor's), found "
                  "\"other_name\""});
}

TEST(PluginHostWrong, DuplicateNameNamesBothFiles) {
  PluginHost host;
  const LoadResult first = host.load(wrong_plugin("duplicate_name_a"));
  ASSERT_TRUE(first.ok()) << first.message;
  const LoadResult second = host.load(wrong_plugin("duplicate_name_b"));
  EXPECT_EQ(second.status, LoadStatus::InitFailed);
  EXPECT_TRUE(contains_all(second.message, {"plugin '", "duplicate_name_b.so': regularizer 'dup'",
                                            "already registered by '", "duplicate_name_a.so'",
                                            "remove one of the two libraries"}));
  ASSERT_EQ(host.plugins().size(), 1u);
  EXPECT_EQ(host.plugins()[0]->file.filename(), "duplicate_name_a.so");
}

// ==== files that are not plugins at all ====

TEST(PluginHost, MissingFileIsNotFoundWithThePath) {
  PluginHost host;
  const fs::path missing = fs::path(DFKD_WRONG_PLUGIN_DIR) / "no_such_plugin.so";
  const LoadResult r = host.load(missing);
  EXPECT_EQ(r.status, LoadStatus::NotFound);
  EXPECT_TRUE(contains_all(r.message, {missing.string(), "file: expected a plugin library"}));
}

// Refused before dlopen (which crashes on a truncated library): tests/crash_guards_test.cpp.
TEST(PluginHost, NonLibraryIsABadFileRefusedBeforeTheLinker) {
  const dfkd::test_support::TempDir tmp("dfkd_junk_");
  const fs::path junk = tmp / "junk.so";
  std::ofstream(junk) << "not an ELF file\n";
  PluginHost host;
  const LoadResult r = host.load(junk);
  fs::remove(junk);
  EXPECT_EQ(r.status, LoadStatus::BadFile);
  EXPECT_TRUE(contains_all(r.message, {junk.string(), "file: expected an ELF shared library",
                                       "found a file starting 6e 6f 74 20"}));
}

TEST(PluginHost, MissingDirectoryIsReported) {
  PluginHost host;
  const fs::path dir = fs::path(DFKD_WRONG_PLUGIN_DIR) / "no_such_dir";
  const auto results = host.load_all({dir});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, LoadStatus::NotFound);
  EXPECT_TRUE(contains_all(results[0].message, {"plugin search path '", dir.string()}));
}

// ==== discovery, lookup, lifetime ====

TEST(PluginHost, LoadAllOfTheWrongDirectoryKeepsGoing) {
  PluginHost host;
  const auto results = host.load_all({DFKD_WRONG_PLUGIN_DIR});
  size_t loaded = 0;
  for (const auto& r : results) loaded += r.ok();
  EXPECT_EQ(loaded, 1u);  // duplicate_name_a; its twin and every other library are refused
  EXPECT_EQ(host.failures().size(), results.size() - 1);
  EXPECT_GE(results.size(), 14u);
  for (size_t i = 1; i < results.size(); ++i)  // sorted, so the outcome is reproducible
    EXPECT_LT(results[i - 1].file, results[i].file);
  ASSERT_NE(host.find(PluginKind::Regularizer, "dup"), nullptr);
  EXPECT_EQ(host.find(PluginKind::Regularizer, "dup")->file.filename(), "duplicate_name_a.so");
}

TEST(PluginHost, ServesTheGoodPluginsAfterLoadingTheWrongOnes) {
  PluginHost host;
  host.load_all({DFKD_WRONG_PLUGIN_DIR, DFKD_PLUGIN_DIR});
  size_t good_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(DFKD_PLUGIN_DIR))
    good_files += e.path().extension() == ".so";
  if (good_files == 0) GTEST_SKIP() << "no plugins built in " << DFKD_PLUGIN_DIR;
  for (const auto& f : host.failures())
    EXPECT_EQ(f.file.parent_path(), fs::path(DFKD_WRONG_PLUGIN_DIR)) << f.message;
  EXPECT_EQ(host.plugins().size(), good_files + 1);  // + duplicate_name_a
  for (const auto* p : host.plugins()) {
    const auto& again = host.get(p->entry.kind, p->entry.name);
    EXPECT_EQ(&again, p);
  }
  if (const auto* mlp = host.find(PluginKind::Model, "mlp")) {
    const auto options = dfkd::resolve_options(mlp->entry.info.options, {}, "mlp");
    auto model = mlp->entry.make_model(dfkd::Options("mlp", options), dfkd::DataShape{{2}, 2});
    EXPECT_EQ(model->forward(torch::zeros({3, 2})).logits.sizes(), (std::vector<int64_t>{3, 2}));
  }
}

TEST(PluginHost, EarlierSearchPathEntryWinsADuplicateName) {
  PluginHost host;
  host.load_all({wrong_plugin("duplicate_name_b"), DFKD_WRONG_PLUGIN_DIR});
  ASSERT_NE(host.find(PluginKind::Regularizer, "dup"), nullptr);
  EXPECT_EQ(host.find(PluginKind::Regularizer, "dup")->file.filename(), "duplicate_name_b.so");
  bool refused_a = false;
  for (const auto& f : host.failures())
    refused_a |= f.file.filename() == "duplicate_name_a.so" &&
                 f.message.find("duplicate_name_b.so") != std::string::npos;
  EXPECT_TRUE(refused_a);
  for (const auto& f : host.failures())  // b was loaded once, not again from the directory
    EXPECT_NE(f.file.filename(), "duplicate_name_b.so") << f.message;
}

TEST(PluginHost, RecordsFileHashAndDescriptorFields) {
  PluginHost host;
  ASSERT_TRUE(host.load(wrong_plugin("duplicate_name_a")).ok());
  const auto& p = host.get(PluginKind::Regularizer, "dup");
  EXPECT_EQ(p.file_sha256, dfkd::host::sha256_file(wrong_plugin("duplicate_name_a")));
  EXPECT_EQ(p.file_sha256.size(), 64u);
  EXPECT_EQ(p.interface_id, "dfkd.Regularizer/1");
  EXPECT_EQ(p.torch_version, TORCH_VERSION);
  EXPECT_EQ(p.entry.version, "1.0.0");
  EXPECT_TRUE(p.file.is_absolute());
}

TEST(PluginHost, LoadingTheSameFileTwiceIsANoOp) {
  PluginHost host;
  EXPECT_TRUE(host.load(wrong_plugin("duplicate_name_a")).ok());
  EXPECT_TRUE(host.load(fs::path(DFKD_WRONG_PLUGIN_DIR) / "." / "duplicate_name_a.so").ok());
  EXPECT_EQ(host.plugins().size(), 1u);
  EXPECT_TRUE(host.failures().empty());
}

TEST(PluginHost, UnknownNameListsTheKnownNamesOfThatKind) {
  PluginHost host;
  ASSERT_TRUE(host.load(wrong_plugin("duplicate_name_a")).ok());
  using dfkd::test_support::thrown_message;
  EXPECT_TRUE(
      contains_all(thrown_message<dfkd::ConfigError>(
                       [&] { host.get(PluginKind::Regularizer, "nope"); }, "dfkd::ConfigError"),
                   {"unknown regularizer plugin 'nope'", "known regularizers: dup"}));
  EXPECT_TRUE(contains_all(thrown_message<dfkd::ConfigError>(
                               [&] { host.get(PluginKind::Method, "dup"); }, "dfkd::ConfigError"),
                           {"unknown method plugin 'dup'", "no method plugins are loaded",
                            "(a regularizer plugin has that name)"}));
  EXPECT_EQ(host.find(PluginKind::Method, "dup"), nullptr);
}

TEST(PluginHost, LibrariesOutliveTheHost) {
  const fs::path file = wrong_plugin("duplicate_name_a");
  std::unique_ptr<dfkd::Regularizer> regularizer;
  {
    PluginHost host;
    ASSERT_TRUE(host.load(file).ok());
    regularizer = host.get(PluginKind::Regularizer, "dup").entry.make_regularizer({});
  }
  // RTLD_NOLOAD only finds a library that is still mapped; it adds a reference we never drop.
  EXPECT_NE(::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr);
  EXPECT_EQ(regularizer->stage(), dfkd::RegularizerStage::Student);  // its vtable is still there
  PluginHost second;  // a new host registers the already-mapped library afresh
  EXPECT_TRUE(second.load(file).ok());
  EXPECT_NE(second.find(PluginKind::Regularizer, "dup"), nullptr);
}

TEST(PluginHost, DefaultSearchPathEndsWithDfkdPluginPath) {
  ScopedEnv env("DFKD_PLUGIN_PATH", "/tmp/dfkd_a::/tmp/dfkd_b");
  const auto path = PluginHost::default_search_path();
  ASSERT_GE(path.size(), 2u);
  EXPECT_EQ(path[path.size() - 2], fs::path("/tmp/dfkd_a"));
  EXPECT_EQ(path.back(), fs::path("/tmp/dfkd_b"));
  // The test binary lives in <build>/bin, its plugins in <build>/plugins.
  if (fs::is_directory(DFKD_PLUGIN_DIR)) {
    ASSERT_EQ(path.size(), 3u);
    EXPECT_TRUE(fs::equivalent(path[0], DFKD_PLUGIN_DIR)) << path[0];
  }
}

TEST(PluginHost, StatusNames) {
  EXPECT_STREQ(dfkd::host::to_string(LoadStatus::Loaded), "loaded");
  EXPECT_STREQ(dfkd::host::to_string(LoadStatus::WrongAbi), "wrong_abi");
  EXPECT_STREQ(dfkd::host::to_string(LoadStatus::InitFailed), "init_failed");
}

/// Loads the library named by DFKD_EXPECT_PLUGIN_FILE; tests/sdk_install_test.sh uses it to
/// check an out-of-tree plugin when the `dfkd` executable is not available.
TEST(PluginHost, LoadsTheFileNamedByTheEnvironment) {
  const char* file = std::getenv("DFKD_EXPECT_PLUGIN_FILE");
  if (!file || !*file) GTEST_SKIP() << "DFKD_EXPECT_PLUGIN_FILE not set";
  PluginHost host;
  const LoadResult r = host.load(file);
  EXPECT_TRUE(r.ok()) << r.message;
}

}  // namespace
