// How a snapshot version's bytes are stored under versions/: compressed as one zstd frame (with
// its content checksum) before they are cut into chunks. `latest` records the codec of the version
// and of its base, so versions stored raw by older builds still read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::zk {

// The largest snapshot version stored or read (docs/limits.md): a frame claiming more is refused
// before anything is allocated for it.
constexpr uint64_t kMaxVersionBytes = uint64_t{1} << 30;

enum class Codec : uint64_t { raw = 0, zstd = 1 };

// The bytes to store for `bytes`.
std::string pack_version(std::string_view bytes);
// The version's bytes from what is stored; BERTH_E_CORRUPT naming `where` when they do not decode
// (a damaged frame, a failed checksum, trailing bytes, an unknown codec, a frame that does not
// declare its size or declares more than kMaxVersionBytes).
std::string unpack_version(Codec codec, std::string_view stored, const std::string& where);

}  // namespace berth::zk
