// A follower installing, one after the other, the versions a leader publishes while 1% of the
// streams move each time (a fresh random choice per version): the leader publishes each as a
// delta on its checkpoint or, when its checkpoint policy says so, in full; the follower reads it
// through its own checkpoints and finishes it on the version it serves, as an engine's follower
// does (engine/follower.cpp), without a backend in between. For measuring what a follower keeps
// across many installs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "snapshot/checkpoints.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_memory.h"

namespace berth::tools {

class DeltaInstalls {
 public:
  // Starts from `start`'s published columns (it needs at least two servers and one stream),
  // published and installed in full.
  explicit DeltaInstalls(const Snapshot& start, CheckpointPolicy policy = {});
  // Whether `start` has what moving streams needs: a stream and two servers.
  static bool possible(const Snapshot& start) noexcept { return start.stream_count() > 0 && start.server_count() >= 2; }

  void next();  // one more version: published, read and installed

  const Snapshot& served() const { return *served_; }
  std::shared_ptr<const Snapshot> served_version() const { return served_; }
  std::shared_ptr<const Snapshot> checkpoint() const { return follower_checkpoints_.held().snapshot; }
  // What the follower holds now: the version it serves and its checkpoint.
  SnapshotMemory held() const { return snapshot_memory(served_.get(), checkpoint().get()); }
  uint64_t deltas() const { return deltas_; }  // installs of a delta (the rest were full snapshots)
  uint64_t installs() const { return installs_; }

 private:
  void install(uint64_t base_version, const std::string& bytes);

  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
  Snapshot leader_;  // the newest version published (bare)
  Checkpoints leader_checkpoints_;
  Checkpoints follower_checkpoints_;
  std::string checkpoint_bytes_;  // what the backend keeps: the newest full publication
  std::shared_ptr<const Snapshot> served_;
  uint64_t deltas_ = 0, installs_ = 0;
};

}  // namespace berth::tools
