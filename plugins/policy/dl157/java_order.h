// The order in which DistributedLog sorted names: Java's String.compareTo, which compares UTF-16
// code units. Berth holds ids as UTF-8 bytes, whose order agrees with it except where a character
// beyond U+FFFF (a surrogate pair in UTF-16, units 0xD800..0xDBFF first) meets one in
// U+E000..U+FFFF: Java puts the first before the second, byte order after.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace berth::dl157 {

namespace java_order_detail {

// The code point that starts at s[i], or -1 where the bytes are not well-formed UTF-8 (truncated,
// overlong, a surrogate, beyond U+10FFFF).
inline int32_t decode_at(std::string_view s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  size_t length = 0;
  int32_t cp = 0, smallest = 0;
  if (lead < 0x80) return lead;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, smallest = 0x10000;
  } else {
    return -1;
  }
  if (i + length > s.size()) return -1;
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < smallest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return cp;
}

// The first UTF-16 unit of a code point's encoding.
inline int32_t first_unit(int32_t cp) { return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10); }

inline bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace java_order_detail

// Negative, zero or positive as `a` sorts before, with or after `b` under Java's String.compareTo
// applied to the strings these UTF-8 bytes encode. Where the first difference is not well-formed
// UTF-8 (Java strings never are), the bytes decide.
inline int java_compare(std::string_view a, std::string_view b) {
  using namespace java_order_detail;
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  // The first differing byte, eight at a time (ids share long prefixes).
  for (; i + 8 <= n; i += 8) {
    uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x == y) continue;
    if constexpr (std::endian::native == std::endian::little)
      i += static_cast<size_t>(std::countr_zero(x ^ y)) / 8;
    else
      i += static_cast<size_t>(std::countl_zero(x ^ y)) / 8;
    break;
  }
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;

  const auto x = static_cast<unsigned char>(a[i]);
  const auto y = static_cast<unsigned char>(b[i]);
  // An ASCII byte here starts a character in both strings, and ASCII sorts first in both orders.
  if (x < 0x80 || y < 0x80) return x < y ? -1 : 1;
  // Both bytes belong to characters that start at the same offset (the bytes before are equal).
  size_t start = i;
  for (int back = 0; back < 3 && start > 0 && continuation(a[start]); ++back) --start;
  const int32_t ca = decode_at(a, start);
  const int32_t cb = decode_at(b, start);
  // Equal characters here end before byte i: the byte there is a stray continuation byte.
  if (ca < 0 || cb < 0 || ca == cb) return x < y ? -1 : 1;
  const int32_t ua = first_unit(ca), ub = first_unit(cb);
  if (ua != ub) return ua < ub ? -1 : 1;
  return ca < cb ? -1 : 1;  // the same high surrogate: the low ones follow code point order
}

}  // namespace berth::dl157
