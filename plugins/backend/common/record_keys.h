// Keys of intake records (ABI 1.3 peek_intake/settle_intake) for backends that number their
// records: the key is the record's sequence number in decimal. Parsing is strict because a key
// comes back from the host, and one that names no record must not delete anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.hpp"
#include "decimal.h"

namespace berth::backend {

inline std::string record_key(uint64_t seq) { return std::to_string(seq); }

// The sequence numbers of `keys`, all or nothing: Error(BERTH_E_INVALID_ARGUMENT) naming the
// first key that is not a decimal number from 1 to 2^64 - 1 without a sign or leading zeros.
inline std::vector<uint64_t> parse_record_keys(const std::vector<std::string_view>& keys, const std::string& backend) {
  std::vector<uint64_t> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string_view key = keys[i];
    const std::optional<uint64_t> seq = key.empty() || key.front() == '0' ? std::nullopt : parse_u64(key);
    if (!seq)
      throw plugin::Error(BERTH_E_INVALID_ARGUMENT, backend + ": settle_intake: key #" + std::to_string(i) + " '" +
                                                        std::string(key.substr(0, 64)) +
                                                        "' is not a record key (a sequence number)");
    out.push_back(*seq);
  }
  return out;
}

}  // namespace berth::backend
