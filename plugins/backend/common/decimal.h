// Numbers the backends write into names and files (sequence numbers, versions, epochs) and read
// back: decimal, and parsed strictly, since a text that is not one of ours must never be read as
// some other number.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::backend {

// The whole of `text` as a decimal uint64 (digits only: no sign, no spaces); nullopt if it is
// not one or does not fit.
inline std::optional<uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace berth::backend
