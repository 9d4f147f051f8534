// The one stream hash every node and plugin agrees on: XXH3-64 of the id bytes, seed 0.
// Changing it reshuffles every hash-based placement, so it is part of the snapshot format.
#pragma once

#include <cstdint>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace berth {

inline uint64_t stream_hash(std::string_view id) noexcept { return XXH3_64bits(id.data(), id.size()); }

}  // namespace berth
