// How a node reads what the cluster published: the newest version's bytes from the backend, a
// full snapshot or a delta on top of a checkpoint (snapshot/checkpoints.h), finished into a
// snapshot the engine can install. The leader runs it too, before each refresh, so it builds on
// whatever was published last.
//
// Bytes that cannot be read are counted and logged, and the node keeps serving what it has; when
// a delta fails on a readable checkpoint newer than what is served, that checkpoint is served
// instead, until the leader's next full publication.
//
// Threads: latest() may run on two threads at once (the engine's worker, and a host's refresh):
// it keeps no state of its own, the checkpoints lock themselves, and the engine's install lock
// decides which outcome is served.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/backend_ref.h"
#include "engine/version_state.h"
#include "plugin/instances.h"
#include "snapshot/checkpoints.h"
#include "snapshot/server_names.h"
#include "snapshot/snapshot.h"

namespace berth {

class Follower {
 public:
  // All references must outlive the follower.
  Follower(Checkpoints& checkpoints, const Policy& policy, std::shared_ptr<ServerNames> names, std::string node_id)
      : checkpoints_(checkpoints), policy_(policy), names_(std::move(names)), node_id_(std::move(node_id)) {}

  struct Outcome {
    std::shared_ptr<const Snapshot> snapshot;  // finished, newer than what is served; null: nothing to install
    uint64_t rejected = 0;                     // published versions whose bytes could not be read
  };
  // The newest published version, if it is newer than what this node has. Raises
  // versions.latest_seen even when the bytes are rejected. `current` (the served snapshot, may be
  // null) lends its lookup table to a snapshot with the same streams. Throws Error when the
  // backend cannot be reached (then the caller tries again later).
  Outcome latest(const BackendRef& backend, VersionState& versions, const Snapshot* current);

 private:
  // Null `out.snapshot` with `retry`: the base of the delta went meanwhile; read the newest again.
  Outcome attempt(const BackendRef& backend, VersionState& versions, const Snapshot* current, bool again_if_base_gone,
                  bool& retry);

  Checkpoints& checkpoints_;
  const Policy& policy_;
  const std::shared_ptr<ServerNames> names_;
  const std::string node_id_;
};

}  // namespace berth
