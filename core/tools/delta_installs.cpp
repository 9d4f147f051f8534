#include "tools/delta_installs.h"

#include <algorithm>
#include <random>
#include <utility>

#include "common/error.h"
#include "snapshot/delta_codec.h"

namespace berth::tools {

DeltaInstalls::DeltaInstalls(const Snapshot& start, CheckpointPolicy policy)
    : leader_(bare_copy(start)), leader_checkpoints_(policy), follower_checkpoints_(policy) {
  if (!possible(start))
    throw Error(BERTH_E_INVALID_ARGUMENT, "delta installs: the first version needs a stream and two servers");
  leader_.meta.version = 1;
  Checkpoints::Publication full = leader_checkpoints_.prepare(leader_, false);
  leader_checkpoints_.published(leader_, full);
  checkpoint_bytes_ = full.bytes;
  install(0, full.bytes);
}

void DeltaInstalls::next() {
  Snapshot version = bare_copy(leader_);
  version.meta.version = leader_.meta.version + 1;
  const uint64_t n = version.stream_count();
  const uint32_t m = version.server_count();
  std::mt19937_64 random(version.meta.version);
  for (uint64_t k = 0; k < std::max<uint64_t>(1, n / 100); ++k) {
    uint64_t i = random() % n;
    version.owner[i] = static_cast<uint32_t>((version.owner[i] + 1 + random() % (m - 1)) % m);
  }
  Checkpoints::Publication publication = leader_checkpoints_.prepare(version, true);
  leader_checkpoints_.published(version, publication);
  if (publication.base_version == 0) checkpoint_bytes_ = publication.bytes;
  leader_ = std::move(version);
  install(publication.base_version, publication.bytes);
}

void DeltaInstalls::install(uint64_t base_version, const std::string& bytes) {
  auto fetch_base = [&](uint64_t) { return checkpoint_bytes_; };
  Checkpoints::Read read = follower_checkpoints_.read(leader_.meta.version, base_version, bytes, fetch_base);
  auto snapshot = std::make_shared<Snapshot>(std::move(read.snapshot));
  finish_snapshot(*snapshot, nullptr, names_, served_.get());  // patches the served table, as a follower does
  follower_checkpoints_.keep(std::move(read.checkpoint), read.checkpoint_bytes);
  served_ = std::move(snapshot);
  ++installs_;
  if (base_version != 0) ++deltas_;
}

}  // namespace berth::tools
