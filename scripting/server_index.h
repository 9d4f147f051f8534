// The servers of one evaluation, indexed by id and by label, and sets of them as bit masks:
// a rule's selector resolves to a mask once, and masks combine in a few word operations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.h"
#include "common/labels.h"

namespace berth::rules {

using Mask = std::vector<uint64_t>;

inline bool test(const Mask& m, uint32_t i) noexcept { return (m[i / 64] >> (i % 64)) & 1; }
inline void set(Mask& m, uint32_t i) noexcept { m[i / 64] |= uint64_t{1} << (i % 64); }
inline bool any(const Mask& m) noexcept {
  for (uint64_t w : m)
    if (w != 0) return true;
  return false;
}
inline void and_with(Mask& m, const Mask& o) noexcept {
  for (size_t i = 0; i < m.size(); ++i) m[i] &= o[i];
}
inline void or_with(Mask& m, const Mask& o) noexcept {
  for (size_t i = 0; i < m.size(); ++i) m[i] |= o[i];
}
inline void and_not(Mask& m, const Mask& o) noexcept {
  for (size_t i = 0; i < m.size(); ++i) m[i] &= ~o[i];
}
template <class Fn>
void for_each(const Mask& m, Fn&& fn) {
  for (size_t w = 0; w < m.size(); ++w)
    for (uint64_t bits = m[w]; bits != 0; bits &= bits - 1)
      fn(static_cast<uint32_t>(w * 64 + static_cast<unsigned>(__builtin_ctzll(bits))));
}

// A selector naming a server or label that does not exist.
class SelectorError : public std::runtime_error {
 public:
  enum Kind { unknown_server, unknown_label, malformed };
  SelectorError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

class ServerIndex {
 public:
  // `labels` may be shorter than the server set: the missing servers have no labels.
  ServerIndex(const berth_server_set& servers, const std::vector<Labels>& labels);

  uint32_t size() const noexcept { return count_; }
  Mask none() const { return Mask((count_ + 63) / 64, 0); }
  const Mask& all() const noexcept { return all_; }
  std::string_view id(uint32_t i) const noexcept;
  const Labels& labels(uint32_t i) const noexcept;

  // Throws SelectorError(unknown_server).
  uint32_t server(std::string_view id) const;
  // Servers whose `key` has one of `values`; with no values, servers that have the key at all.
  // Throws SelectorError(unknown_label) when no server has the key.
  Mask with_label(std::string_view key, const std::vector<std::string>& values) const;
  // The distinct values of `key`, sorted (empty when no server has it).
  std::vector<std::string> values(std::string_view key) const;
  std::string known_keys() const;  // "rack, zone", for messages

 private:
  const berth_server_set* servers_;
  const std::vector<Labels>* labels_;
  uint32_t count_;
  Mask all_;
  std::map<std::string, std::map<std::string, Mask>, std::less<>> by_label_;
};

}  // namespace berth::rules
