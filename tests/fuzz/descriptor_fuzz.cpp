// libFuzzer target: the checks PluginHost::load() makes on the POD descriptor a plugin returns
// (dfkd::host::check_descriptor), on arbitrary descriptors. Input layout (little-endian):
//   bytes 0..3 abi_version, 4..7 struct_size, 8..11 cxx11_abi, byte 12: bit i set = string i is
//   not null (0 kind, 1 name, 2 version, 3 interface_id, 4 torch_version), bit 5 = register_fn
//   set; then the five strings' bytes, separated by NUL bytes (missing ones are empty).
// A descriptor is either accepted, and then every field is what this host expects, or refused
// with WrongAbi / WrongInterface and a message naming the field.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "loader/plugin_host.hpp"

namespace {

void register_nothing(dfkd::Registry&) {}

uint32_t u32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 13) return 0;
  dfkd::PluginDescriptor d{};
  d.abi_version = u32(data);
  d.struct_size = u32(data + 4);
  d.cxx11_abi = static_cast<int32_t>(u32(data + 8));
  const uint8_t flags = data[12];
  std::string strings[5];
  size_t s = 0;
  for (size_t i = 13; i < size; ++i) {
    if (data[i] == 0) {
      if (++s == 5) break;
    } else {
      strings[s].push_back(static_cast<char>(data[i]));
    }
  }
  const char* fields[5];
  for (int i = 0; i < 5; ++i) fields[i] = (flags >> i) & 1 ? strings[i].c_str() : nullptr;
  d.kind = fields[0];
  d.name = fields[1];
  d.version = fields[2];
  d.interface_id = fields[3];
  d.torch_version = fields[4];
  d.register_fn = (flags >> 5) & 1 ? &register_nothing : nullptr;

  const dfkd::host::DescriptorCheck check = dfkd::host::check_descriptor(d);
  if (check.ok()) {
    FUZZ_CHECK(check.what.empty());
    FUZZ_CHECK(d.abi_version == DFKD_ABI_VERSION &&
               d.struct_size == sizeof(dfkd::PluginDescriptor));
    FUZZ_CHECK(d.cxx11_abi == _GLIBCXX_USE_CXX11_ABI);
    FUZZ_CHECK(d.torch_version && std::string_view(d.torch_version) == TORCH_VERSION);
    FUZZ_CHECK(d.kind && std::string_view(d.kind) == dfkd::to_string(check.kind));
    FUZZ_CHECK(d.interface_id &&
               std::string_view(d.interface_id) == dfkd::interface_id(check.kind));
    FUZZ_CHECK(d.name && *d.name && d.version && *d.version && d.register_fn);
  } else {
    FUZZ_CHECK(check.status == dfkd::host::LoadStatus::WrongAbi ||
               check.status == dfkd::host::LoadStatus::WrongInterface);
    // "<field>: expected ..., found ...": the message names the field it refuses.
    FUZZ_CHECK(!check.what.empty() && check.what.find(": expected ") != std::string::npos);
  }
  return 0;
}
