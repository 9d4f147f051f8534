// What the soak (zk_soak_test.cpp) and its hosts (tests/ownership/ownership_host.cpp) must agree
// on without talking: each stream's id, the load a drift gives it, and order-independent digests
// of a snapshot, so the test can tell from four numbers per host whether every node serves the
// same assignment and whether every stream and every load it reported is there.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace berth::test::soak {

inline std::string stream_id(uint64_t i) { return "stream-" + std::to_string(i); }

inline uint64_t fnv(uint64_t h, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return h;
}
constexpr uint64_t kFnvBasis = 14695981039346656037ull;

// A whole number from 1 to 8 (exact as a double, so the digest does not depend on rounding).
inline double drift_load(uint64_t seed, uint64_t i) {
  uint64_t x = (seed + 1) * 0x9E3779B97F4A7C15ull ^ (i + 1) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return static_cast<double>(1 + x % 8);
}

// One stream's part of the digest of (id, load): summed over streams, so order does not matter.
inline uint64_t load_digest(const std::string& id, double load) {
  const int64_t milli = std::llround(load * 1000);
  return fnv(fnv(kFnvBasis, id.data(), id.size()), &milli, sizeof milli);
}
// One stream's part of the digest of (id, owner).
inline uint64_t owner_digest(const std::string& id, const std::string& owner) {
  uint64_t h = fnv(kFnvBasis, id.data(), id.size());
  const char separator = '\0';
  h = fnv(h, &separator, 1);
  return fnv(h, owner.data(), owner.size());
}

}  // namespace berth::test::soak
