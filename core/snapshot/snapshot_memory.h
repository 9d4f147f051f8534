// What a node's snapshots hold in memory, by part, counted from the structures themselves
// (allocated capacities, not sizes), so a resident-memory figure can be broken down and a version
// installed after another can be checked to hold no more than it.
#pragma once

#include <cstdint>

#include "snapshot/snapshot.h"

namespace berth {

struct SnapshotMemory {
  uint64_t table = 0;       // the lookup table's slots (and the lengths of very long ids)
  uint64_t ids = 0;         // the stream ids: arena and offsets
  uint64_t columns = 0;     // everything else per stream (hash, tenant, load, owner, holder, token),
                            // the servers, tenants, tombstones, holds and what is derived per server
  uint64_t checkpoint = 0;  // what the checkpoint kept for deltas holds that the served version does not share

  uint64_t total() const noexcept { return table + ids + columns + checkpoint; }
};

// The bytes held by the version `served` and the checkpoint `checkpoint` (either may be null),
// each part the two share (stream and server columns, tombstones, a lookup table) counted once,
// with the served version. The catalogue's parts are not counted.
SnapshotMemory snapshot_memory(const Snapshot* served, const Snapshot* checkpoint);

}  // namespace berth
