// Keys of intake records (ABI 1.3 peek_intake/settle_intake) for backends that number their
// records: the key is the record's sequence number in decimal. Parsing is strict because a key
// comes back from the host, and one that names no record must not delete anything.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.hpp"

namespace berth::backend {

inline std::string record_key(uint64_t seq) { return std::to_string(seq); }

// The sequence numbers of `keys`, all or nothing: Error(BERTH_E_INVALID_ARGUMENT) naming the
// first key that is not a decimal number from 1 to 2^64 - 1 without a sign or leading zeros.
inline std::vector<uint64_t> parse_record_keys(const std::vector<std::string_view>& keys, const std::string& backend) {
  std::vector<uint64_t> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string_view key = keys[i];
    bool valid = !key.empty() && key.size() <= 20 && key.front() != '0';
    uint64_t seq = 0;
    for (char c : key) {
      if (!valid) break;
      uint64_t digit = static_cast<uint64_t>(c - '0');
      valid = c >= '0' && c <= '9' && seq <= (UINT64_MAX - digit) / 10;
      seq = seq * 10 + digit;
    }
    if (!valid)
      throw plugin::Error(BERTH_E_INVALID_ARGUMENT, backend + ": settle_intake: key #" + std::to_string(i) + " '" +
                                                        std::string(key.substr(0, 64)) +
                                                        "' is not a record key (a sequence number)");
    out.push_back(seq);
  }
  return out;
}

}  // namespace berth::backend
