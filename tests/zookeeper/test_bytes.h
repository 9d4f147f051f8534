// Test data shared by the ZooKeeper tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace berth::test {

// `size` bytes zstd cannot shrink (a fixed pseudo-random sequence per `seed`): a snapshot of that
// many bytes is stored in as many chunks as it would be uncompressed.
std::string incompressible_bytes(size_t size, uint64_t seed = 1);

}  // namespace berth::test
