// The placement constraints of one rebalance (ABI 1.1, berth_placement_constraints in plugin.h),
// read and checked once, in the shape every policy asks them: "may this stream go to that server?"
// (a bit per class and server), and "which up servers does this class allow / prefer?" (ascending
// lists). Part of the policy kit (this folder) that every policy honouring constraints links.
//
// A request whose struct_size does not cover `constraints`, or whose `constraints` is NULL, reads
// as unconstrained: active() is false, and nothing is allocated or scanned (the fast path every
// policy keeps for it).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "berth/plugin.h"

namespace berth::least_load {

class PlacementConstraints {
 public:
  // Throws Error(BERTH_E_INVALID_ARGUMENT) naming the class (or stream) and the bad value when a
  // class index, an offset or a server index is out of bounds, a list is not strictly ascending,
  // a class allows no server, or a preferred server is not also allowed.
  explicit PlacementConstraints(const berth_rebalance_request& request);

  bool active() const { return class_of_ != nullptr; }

  // The class of stream i, or BERTH_NO_CLASS (always, when inactive).
  uint32_t class_of(uint64_t stream) const { return class_of_ == nullptr ? BERTH_NO_CLASS : class_of_[stream]; }

  bool allows(uint32_t c, uint32_t server) const { return bit(allowed_bits_, c, server); }
  bool prefers(uint32_t c, uint32_t server) const { return bit(preferred_bits_, c, server); }
  // True when stream i has no class or its class allows `server`.
  bool stream_may_use(uint64_t stream, uint32_t server) const {
    const uint32_t c = class_of(stream);
    return c == BERTH_NO_CLASS || allows(c, server);
  }

  // True when stream i's class does not allow `server` but allows some up server: the stream must
  // leave `server` (whatever its state, and outside any move budget). A class none of whose
  // allowed servers is up keeps its streams where they are.
  bool must_leave(uint64_t stream, uint32_t server) const {
    const uint32_t c = class_of(stream);
    return c != BERTH_NO_CLASS && !allows(c, server) && !up_allowed(c).empty();
  }

  // Class c's allowed (preferred) servers that are BERTH_SERVER_UP, ascending.
  std::span<const uint32_t> up_allowed(uint32_t c) const { return slice(up_allowed_, up_allowed_begin_, c); }
  std::span<const uint32_t> up_preferred(uint32_t c) const { return slice(up_preferred_, up_preferred_begin_, c); }

  uint32_t class_count() const { return class_count_; }

 private:
  bool bit(const std::vector<uint64_t>& bits, uint32_t c, uint32_t server) const {
    return (bits[size_t{c} * words_ + (server >> 6)] >> (server & 63)) & 1u;
  }
  static std::span<const uint32_t> slice(const std::vector<uint32_t>& list, const std::vector<uint64_t>& begin,
                                         uint32_t c) {
    return std::span<const uint32_t>(list).subspan(begin[c], begin[c + 1] - begin[c]);
  }

  const uint32_t* class_of_ = nullptr;
  uint32_t class_count_ = 0;
  size_t words_ = 0;                       // 64-bit words per class in the bitsets
  std::vector<uint64_t> allowed_bits_;     // class c, server s: bit s of words [c * words_, (c + 1) * words_)
  std::vector<uint64_t> preferred_bits_;
  std::vector<uint32_t> up_allowed_, up_preferred_;
  std::vector<uint64_t> up_allowed_begin_, up_preferred_begin_;  // class_count + 1 offsets
};

}  // namespace berth::least_load
