// The consistent-hash ring of the "hash" policy: every up server puts virtual nodes on a 64-bit
// ring (about kVirtualNodes per server of mean capacity, so a server's share of the ring follows
// its capacity); a stream's preference list is the servers of the points met walking clockwise
// from its hash. Points depend only on the server's id and their number, so a server that joins or
// leaves adds or removes only its own points.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "berth/plugin.h"

namespace berth::hash_policy {

// Points per server of mean capacity (capacity c gets round(kVirtualNodes * c / mean), at least 1,
// at most kMaxVirtualNodes). Part of behaviour version 1. Servers of unequal capacity: a join or
// leave shifts the mean, so another server may gain or lose a point to rounding, moving a few
// more streams than its own; with equal capacities the counts never change.
inline constexpr uint32_t kVirtualNodes = 160;
inline constexpr uint32_t kMaxVirtualNodes = 16 * kVirtualNodes;

class HashRing {
 public:
  // `up` are the indices of the servers on the ring (positive finite capacities).
  // `index_by_server`: also keep each server's own points, for distance() (constrained walks).
  HashRing(const berth_server_set& servers, std::span<const uint32_t> up, bool index_by_server = false);

  bool empty() const { return server_.empty(); }
  size_t size() const { return server_.size(); }

  // The first point at or after `hash` (clockwise, wrapping past the top). Requires !empty().
  size_t first_point(uint64_t hash) const {
    size_t k = bucket_start_[hash >> bucket_shift_];
    const size_t n = point_.size();
    while (k < n && point_[k] < hash) ++k;
    return k == n ? 0 : k;
  }
  size_t next(size_t k) const { return k + 1 == point_.size() ? 0 : k + 1; }
  uint32_t server_at(size_t k) const { return server_[k]; }
  // The stream's first choice: the server of its first point.
  uint32_t first_choice(uint64_t hash) const { return server_[first_point(hash)]; }

  // For walks restricted to a few servers (placement constraints): how far clockwise from `hash`
  // server s's first point is (wrapping past the top), and the key that orders points at the same
  // position. Among a few servers, the one a restricted walk meets first is the one at the least
  // distance (ties to the smaller key), found in O(log points) each instead of by walking past
  // every other server's points. `s` must be on the ring, built with index_by_server.
  uint64_t distance(uint32_t s, uint64_t hash) const;
  uint64_t key_of(uint32_t s) const { return server_key_[s]; }

 private:
  std::vector<uint64_t> point_;   // ascending
  std::vector<uint32_t> server_;  // the server index of each point
  // bucket_start_[b] = the first point >= b << bucket_shift_: a lookup costs one table read and,
  // on average, less than one step, instead of a binary search over ~160 points per server.
  std::vector<uint32_t> bucket_start_;
  unsigned bucket_shift_ = 63;
  // Per server index: its points, ascending (server_points_begin_ has servers.count + 1 entries).
  std::vector<uint64_t> server_points_;
  std::vector<uint64_t> server_points_begin_;
  std::vector<uint64_t> server_key_;
};

}  // namespace berth::hash_policy
