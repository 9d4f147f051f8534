// Snapshots to and from bytes: Cap'n Proto (abi/schema/snapshot.capnp), packed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "snapshot/snapshot.h"

namespace berth {

// A policy's default owners (ABI 1.2) as the codec uses them: which policy, at which behaviour
// version, and the owners, computed from the servers and the stream hashes alone.
// engine/snapshot_policies.h makes them from a loaded policy plugin.
struct OwnerDefaults {
  std::string policy;
  uint32_t behaviour = 0;
  std::function<void(const berth_server_set& servers, uint64_t count, const uint64_t* stream_hash, uint32_t* out_owner)>
      owners;
};

// The default owners of the policy a snapshot names (plugin name, behaviour version), for
// rebuilding the owners it leaves implicit; nullopt when this reader cannot have them.
using PolicyFinder = std::function<std::optional<OwnerDefaults>(const std::string& name, uint32_t behaviour)>;

// The published form of a snapshot (its columns and provenance; nothing derived). With
// `defaults` those of the snapshot's own policy (same name and behaviour version), owners are
// stored as the exceptions to them when that is smaller (and when the defaults can be had: a
// policy failing to give them gets every owner written). `owners_stored`: how many owners the
// bytes spell out.
std::string encode_snapshot(const Snapshot& snapshot, const OwnerDefaults* defaults = nullptr,
                            uint64_t* owners_stored = nullptr);

// Reads bytes from anywhere (a backend, a file, the network): never trusts them. Truncated,
// corrupt, hostile or foreign bytes fail with Error(BERTH_E_CORRUPT) saying what is wrong, as do
// implicit owners when `find_policy` cannot give the policy that rebuilds them.
// The result still needs finish_snapshot().
Snapshot decode_snapshot(std::string_view bytes, const PolicyFinder& find_policy = {});

// What the assignment (owners, or their exceptions) adds to the encoded snapshot, in bytes:
// encode_snapshot(snapshot, defaults) against the same snapshot encoded without owners. For
// benchmarks; every node also needs the rest (ids, tenants, loads), whatever the policy.
size_t assignment_bytes(const Snapshot& snapshot, const OwnerDefaults* defaults);

// Server info as registered in membership (join): capacity, state, labels, and the
// registration's incarnation: a number the registering engine draws anew whenever its claims on
// the server's streams end (lease lost, session replaced), so grants made to an earlier
// registration are recognisably not its own (docs/ownership.md). 0: registered by a build that
// predates ownership.
struct ServerInfo {
  double capacity = 1.0;
  int32_t state = BERTH_SERVER_UP;
  Labels labels{};  // (initialised so ServerInfo{capacity, state} stays warning-free)
  uint64_t incarnation = 0;
  bool serving = false;  // a host opened the server's ownership feed (docs/ownership.md)
};
std::string encode_server_info(const ServerInfo& info);
ServerInfo decode_server_info(std::string_view bytes);  // throws Error(BERTH_E_CORRUPT)

}  // namespace berth
