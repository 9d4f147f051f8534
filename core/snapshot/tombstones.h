// Streams removed on purpose (remove_stream), which the leader keeps in every snapshot it
// publishes, so a new leader after a failover knows them too.
//
// A removed stream stays out of the assignment until a host adds it again: a lookup of it (an
// intake `seen` record) or a measured load (`report`) does not bring it back, an `add` does.
// Lookups of a removed stream still get an answer, placed like any unknown stream.
//
// Bounded: at most kMaxTombstones ids and kMaxTombstoneBytes bytes of ids, oldest first. They
// travel in every full snapshot and in every delta's head, so the byte bound keeps them a small
// part of either. Past a bound the oldest are forgotten, and a stream removed that long ago is
// again treated as an unknown stream (the next lookup of it brings it back, with no tenant),
// which is what every stream removed before tombstones existed gets too.
//
// Immutable once built and shared between versions (a std::shared_ptr<const Tombstones>), so any
// thread may read it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "snapshot/columns.h"

namespace berth {

inline constexpr size_t kMaxTombstones = size_t{1} << 16;
inline constexpr size_t kMaxTombstoneBytes = size_t{4} << 20;  // the ids' bytes together
// The longest stream id an intake record carries (kMaxIdBytes, engine/intake.h; refresh.cpp
// checks that the two agree): a reader refuses a longer removed id.
inline constexpr size_t kMaxTombstoneIdBytes = size_t{64} << 10;

class Tombstones {
 public:
  // `ids` oldest first; a duplicate counts at its newest place. Only the newest ids within
  // kMaxTombstones and kMaxTombstoneBytes are kept.
  explicit Tombstones(std::vector<std::string> ids);
  Tombstones(const Tombstones&) = delete;  // the index points into ids_
  Tombstones& operator=(const Tombstones&) = delete;

  bool contains(std::string_view id) const { return index_.count(id) != 0; }
  const std::vector<std::string>& ids() const { return ids_; }
  size_t size() const { return ids_.size(); }
  size_t bytes() const { return bytes_; }  // of the ids together
  // What it holds allocated: the ids' strings and the index's buckets and nodes (estimated).
  size_t memory_bytes() const noexcept;

 private:
  std::vector<std::string> ids_;
  std::unordered_set<std::string_view> index_;
  size_t bytes_ = 0;
};

// The first of `streams` that `dead` lists too, or null: a snapshot never holds a stream it
// lists as removed (an add takes a stream out of the tombstones), so a reader refuses one that does.
const std::string* first_present(const Tombstones& dead, const StreamColumns& streams);

}  // namespace berth
