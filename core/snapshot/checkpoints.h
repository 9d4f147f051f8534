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

#include "common/error.h"
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

  // What the leader publishes for `next` (finished, or bare with the checkpoint's streams first:
  // see encode_delta): a delta and its base, or with base 0 the full snapshot. `deltas` says
  // whether the backend can keep a base at all.
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
  // Bytes that do not decode, or do not apply, on a checkpoint this node could read: carries that
  // checkpoint (bare), so a caller can serve it rather than nothing newer.
  class Unreadable : public Error {
   public:
    Unreadable(const Error& cause, std::shared_ptr<const Snapshot> base)
        : Error(cause.code(), cause.what()), checkpoint(std::move(base)) {}
    std::shared_ptr<const Snapshot> checkpoint;
  };
  // `fetch_base(v)` returns version v's bytes from the backend. Throws Unreadable (code
  // BERTH_E_CORRUPT) for a delta that does not decode or apply on its checkpoint; Error: whatever
  // fetch_base throws, and BERTH_E_CORRUPT for full snapshots that do not decode.
  Read read(uint64_t version, uint64_t base_version, std::string_view bytes,
            const std::function<std::string(uint64_t)>& fetch_base) const;
  // Keeps `checkpoint` (bare) unless the one held is newer.
  void keep(std::shared_ptr<const Snapshot> checkpoint, size_t bytes);

  // The checkpoint held (null: none yet) and the size of its published bytes.
  struct Held {
    std::shared_ptr<const Snapshot> snapshot;
    size_t bytes = 0;
  };
  Held held() const {
    std::lock_guard lock(mutex_);
    return {checkpoint_, checkpoint_bytes_};
  }

 private:
  const CheckpointPolicy policy_;
  std::optional<OwnerDefaults> own_;
  PolicyFinder find_policy_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> checkpoint_;
  size_t checkpoint_bytes_ = 0;
};

}  // namespace berth
