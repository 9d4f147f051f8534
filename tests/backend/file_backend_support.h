// Shared by the `file` backend tests and their helper program (file_backend_helper.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace berth::test {

// The bytes a test process publishes as `version`: `size` bytes that depend on the version at
// every position, so a reader can tell a complete snapshot from a torn or mixed one.
inline std::string file_payload(uint64_t version, size_t size) {
  std::string out = "v=" + std::to_string(version) + ";";
  out.reserve(size);
  uint64_t state = version * 0x9E3779B97F4A7C15ull + 1;
  while (out.size() < size) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    out.push_back(static_cast<char>(state >> 56));
  }
  if (out.size() > size) out.resize(size);
  return out;
}

// The version a payload claims to be (0 if it does not start like one).
inline uint64_t payload_version(const std::string& payload) {
  if (payload.size() < 3 || payload.compare(0, 2, "v=") != 0) return 0;
  uint64_t version = 0;
  for (size_t i = 2; i < payload.size() && payload[i] != ';'; ++i) {
    if (payload[i] < '0' || payload[i] > '9') return 0;
    version = version * 10 + static_cast<uint64_t>(payload[i] - '0');
  }
  return version;
}

}  // namespace berth::test
