// Snapshot deltas: a version published as its changes against a checkpoint, an earlier full
// snapshot (schema: Delta in abi/schema/snapshot.capnp). Deltas are cumulative, always against the
// checkpoint, so a reader needs the checkpoint and the newest delta only.
//
//   leader:   bytes = encode_delta(checkpoint, next, budget)  (nullopt: publish a full snapshot)
//   follower: Delta d = decode_delta(bytes); Snapshot s = apply_delta(checkpoint, d);
//             finish_snapshot(s, ..., &current)   // the lookup table is patched when it can be
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapshot/snapshot.h"

namespace berth {

// A decoded delta, checked on its own (lists sorted, sized and in range); apply_delta checks it
// against the checkpoint.
struct Delta {
  uint64_t base_version = 0;
  uint64_t base_epoch = 0;
  uint64_t base_streams = 0;
  // This version's provenance, servers, tenant table and tombstones; as streams, those added since
  // the base.
  // Not finished.
  Snapshot head;
  std::vector<uint32_t> removed;  // base indices, ascending
  std::vector<uint32_t> changed;  // base indices, ascending, disjoint from removed
  std::vector<uint32_t> changed_owner;   // per changed stream: index into head.servers
  std::vector<float> changed_load;       // per changed stream
  std::vector<uint32_t> changed_tenant;  // per changed stream: index into head's tenants
  // Whether the version has holders and tokens (then head has its streams', and every changed
  // stream its own below); false: nobody holds anything in it.
  bool held = false;
  std::vector<uint32_t> changed_holder;  // per changed stream when held: index into head.servers, or BERTH_NO_SERVER
  std::vector<uint64_t> changed_token;   // per changed stream when held
};

// What one delta holds, for logs and tests.
struct DeltaCounts {
  uint64_t changed = 0, added = 0, removed = 0;
};

// The published columns of `snapshot` only (provenance, servers, streams, loads, owners, holders
// and tokens): what a
// node keeps of a checkpoint to encode or apply deltas against it, without its lookup table.
Snapshot bare_copy(const Snapshot& snapshot);

// The delta that turns `base` (a checkpoint) into `next`, packed, or nullopt when it would take
// more than `budget_bytes` (then a full snapshot is the better publication). `next` must be
// finished (its lookup table is used to match streams) unless its streams are the base's followed
// by new ones, or the base's first ones and no others; then its ids are not checked for
// duplicates here (a follower's finish_snapshot would refuse them). `base` need not be.
std::optional<std::string> encode_delta(const Snapshot& base, const Snapshot& next, size_t budget_bytes,
                                        DeltaCounts* counts = nullptr);

// Reads bytes from anywhere: never trusts them. Truncated, corrupt, hostile or foreign bytes,
// and full snapshots, fail with Error(BERTH_E_CORRUPT) saying what is wrong.
Delta decode_delta(std::string_view bytes);

// The version `delta` describes, built on `base`, which must be the checkpoint it names (else
// Error(BERTH_E_CORRUPT) naming both). Stream columns are shared with `base` when no stream was
// added or removed. The result still needs finish_snapshot(). Throws Error(BERTH_E_CORRUPT).
Snapshot apply_delta(const Snapshot& base, const Delta& delta);

}  // namespace berth
