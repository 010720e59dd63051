#pragma once
/// Seeding: every random stream of a run is seeded from (run seed, stream name), so adding a
/// stream never shifts another one and a resumed run draws what an uninterrupted one would.
#include <cstdint>
#include <string_view>

#include <torch/torch.h>

namespace dfkd {

/// A 64-bit seed derived from the run seed and a stream name (splitmix64 over FNV-1a).
uint64_t stream_seed(uint64_t run_seed, std::string_view stream);
/// A CPU torch::Generator seeded with stream_seed(run_seed, stream).
torch::Generator make_generator(uint64_t run_seed, std::string_view stream);

}  // namespace dfkd
