// Which bytes a node publishes for a version, and how it reads what others published, when the
// backend can keep a base version (snapshot deltas, see delta_codec.h).
//
// Every node keeps the newest checkpoint (full snapshot) it published or read, without its lookup
// table. The leader publishes a delta against it while the delta stays below `ratio` of the
// checkpoint's bytes and the checkpoint is younger than `every` versions; otherwise a full
// snapshot, which becomes the checkpoint. A follower reads a full snapshot, or a delta on top of
// the checkpoint it holds or fetches.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"

namespace berth {

struct CheckpointPolicy {
  double ratio = 0.1;   // a delta larger than this share of its checkpoint is not published; 0: never deltas
  uint64_t every = 64;  // versions after a checkpoint when the next full one is due; 1: never deltas
};

class Checkpoints {
 public:
  explicit Checkpoints(CheckpointPolicy policy) : policy_(policy) {}

  // The node's policy, whose default owners (if it has them) full snapshots leave implicit, and
  // where to find the policy of a snapshot read (codec.h). Set once, before the first prepare or
  // read; without them every owner is written, and implicit owners cannot be read.
  void use_policies(std::optional<OwnerDefaults> own, PolicyFinder find_policy) {
    own_ = std::move(own);
    find_policy_ = std::move(find_policy);
  }

  // What the leader publishes for `next` (finished): a delta and its base, or with base 0 the
  // full snapshot. `deltas` says whether the backend can keep a base at all.
  struct Publication {
    std::string bytes;
    uint64_t base_version = 0;
    DeltaCounts counts;  // of the delta; zero for a full snapshot
  };
  Publication prepare(const Snapshot& next, bool deltas) const;
  // After a successful publication: a full snapshot becomes the checkpoint.
  void published(const Snapshot& next, const Publication& publication);

  // What published bytes describe (not finished), and the checkpoint to keep once it is.
  struct Read {
    Snapshot snapshot;
    std::shared_ptr<const Snapshot> checkpoint;  // bare; the base of a delta, or the snapshot itself
    size_t checkpoint_bytes = 0;
  };
  // `fetch_base(v)` returns version v's bytes from the backend. Throws Error: BERTH_E_CORRUPT for
  // bytes that do not decode or apply (after `on_base` has been handed the checkpoint they were
  // read against, so a caller can fall back to it), or whatever fetch_base throws.
  Read read(uint64_t version, uint64_t base_version, std::string_view bytes,
            const std::function<std::string(uint64_t)>& fetch_base,
            const std::function<void(const Snapshot& base)>& on_base = {}) const;
  // Keeps `checkpoint` (bare) unless the one held is newer.
  void keep(std::shared_ptr<const Snapshot> checkpoint, size_t bytes);

  uint64_t version() const;  // of the checkpoint held; 0 when none

 private:
  const CheckpointPolicy policy_;
  std::optional<OwnerDefaults> own_;
  PolicyFinder find_policy_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> checkpoint_;
  size_t checkpoint_bytes_ = 0;
};

}  // namespace berth
