// A follower installing, one after the other, the versions a leader publishes while 1% of the
// streams move each time (a fresh random choice per version) and, unless told not to, one stream
// is created (the streams change, as in a cluster where they come and go): the leader publishes
// each as a delta on its checkpoint or, when its checkpoint policy says so, in full; the follower
// reads it through its own checkpoints and finishes it on the version it serves, as an engine's
// follower does (engine/follower.cpp), without a backend in between. For measuring what a
// follower keeps across many installs.
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
  // published and installed in full. `create_streams` false: no version creates a stream, so the
  // streams and their bytes stay the same from one version to the next.
  explicit DeltaInstalls(const Snapshot& start, CheckpointPolicy policy = {}, bool create_streams = true);
  // Whether `start` has what moving streams needs: a stream and two servers.
  static bool possible(const Snapshot& start) noexcept { return start.stream_count() > 0 && start.server_count() >= 2; }

  void next();  // one more version: published, read and installed
  // The id of the stream version `version` created.
  static std::string created_id(uint64_t version) { return "delta-installs-created-" + std::to_string(version); }

  const Snapshot& published() const { return leader_; }  // the newest version, as the leader built it (bare)
  const Snapshot& served() const { return *served_; }
  std::shared_ptr<const Snapshot> served_version() const { return served_; }
  std::shared_ptr<const Snapshot> checkpoint() const { return follower_checkpoints_.held().snapshot; }
  // What the follower holds now: the version it serves and its checkpoint.
  SnapshotMemory held() const { return snapshot_memory(served_.get(), checkpoint().get()); }
  uint64_t deltas() const { return deltas_; }  // installs of a delta (the rest were full snapshots)
  uint64_t installs() const { return installs_; }

 private:
  void install(uint64_t base_version, const std::string& bytes);
  // Appends a new stream owned by server `owner` to `version` (bare), in columns of its own.
  static void create_stream(Snapshot& version, uint32_t owner);

  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
  Snapshot leader_;  // the newest version published (bare)
  Checkpoints leader_checkpoints_;
  Checkpoints follower_checkpoints_;
  std::string checkpoint_bytes_;  // what the backend keeps: the newest full publication
  const bool create_streams_;
  std::shared_ptr<const Snapshot> served_;
  uint64_t deltas_ = 0, installs_ = 0;
};

}  // namespace berth::tools
