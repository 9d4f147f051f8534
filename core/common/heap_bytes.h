// The bytes a string holds on the heap: none while it fits in its own inline buffer (whose bytes
// are already counted with the object that contains the string), else its capacity and the
// terminating null.
#pragma once

#include <cstdint>
#include <string>

namespace berth {

inline uint64_t heap_bytes(const std::string& s) noexcept {
  static const size_t inline_capacity = std::string().capacity();
  return s.capacity() > inline_capacity ? s.capacity() + 1 : 0;
}

}  // namespace berth
