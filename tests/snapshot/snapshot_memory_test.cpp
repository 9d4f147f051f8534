// What a follower holds, counted by its structures: parts shared between the served version and
// the checkpoint count once, and installing version after version (deltas, and a full snapshot
// when the checkpoint policy calls for one) holds no more bytes than the first install did.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "common/hash.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/snapshot_memory.h"
#include "tools/delta_installs.h"

namespace berth::test {
namespace {

Snapshot held_snapshot(uint64_t streams, uint32_t servers) {
  Snapshot s = make_snapshot(1, make_servers(server_ids(servers)), stream_ids(streams));
  hold_by_owners(s, 1);
  finish(s);
  return s;
}

TEST(SnapshotMemory, CountsEveryIdByteAndOneSlotPerStreamAtLeast) {
  Snapshot s = held_snapshot(5000, 8);
  SnapshotMemory m = snapshot_memory(&s, nullptr);
  EXPECT_GE(m.ids, s.streams->ids.arena.size() + s.streams->ids.offsets.size() * sizeof(uint64_t));
  EXPECT_GE(m.table, s.stream_count() * sizeof(LookupTable::Slot));
  // hash, tenant, load, owner, holder, token: 8 + 4 + 4 + 4 + 4 + 8 bytes per stream at least.
  EXPECT_GE(m.columns, s.stream_count() * 32);
  EXPECT_EQ(m.checkpoint, 0u);
}

TEST(SnapshotMemory, CheckpointSharingTheServedColumnsCountsOnlyItsOwnVectors) {
  Snapshot s = held_snapshot(5000, 8);
  const Snapshot checkpoint = bare_copy(s);  // shares servers and streams, copies the per-stream vectors
  const SnapshotMemory alone = snapshot_memory(&s, nullptr);
  const SnapshotMemory both = snapshot_memory(&s, &checkpoint);
  EXPECT_EQ(both.table, alone.table);
  EXPECT_EQ(both.ids, alone.ids);
  EXPECT_EQ(both.columns, alone.columns);
  const uint64_t own = checkpoint.load.capacity() * sizeof(float) + checkpoint.owner.capacity() * sizeof(uint32_t) +
                       checkpoint.holder.capacity() * sizeof(uint32_t) + checkpoint.token.capacity() * sizeof(uint64_t);
  EXPECT_EQ(both.checkpoint, own);

  // A checkpoint with stream columns of its own counts them too.
  Snapshot apart = bare_copy(s);
  apart.streams = std::make_shared<const StreamColumns>(*s.streams);
  EXPECT_GE(snapshot_memory(&s, &apart).checkpoint, own + alone.ids);
}

TEST(SnapshotMemory, ServerLabelsCountStringBytesOnlyWhenTheyLeaveTheInlineBuffer) {
  ServerColumns servers;
  servers.labels.resize(1);
  servers.labels[0].emplace_back("zone", "a");  // both fit in the strings' own buffers
  const uint64_t vectors = servers.ids.memory_bytes() + servers.labels.capacity() * sizeof(Labels) +
                           servers.labels[0].capacity() * sizeof(Labels::value_type);
  EXPECT_EQ(servers.memory_bytes(), vectors);
  servers.labels[0][0].second.assign(100, 'x');  // now on the heap, with its terminating null
  EXPECT_EQ(servers.memory_bytes(), vectors + servers.labels[0][0].second.capacity() + 1);
}

// tools::DeltaInstalls repeats the install steps of engine/follower.cpp (Checkpoints::read,
// finish_snapshot on the served version, Checkpoints::keep) without a backend; these tests check
// that sequence, not the Follower class itself. No stream is created, so the counted bytes of one
// cycle compare with another's.

TEST(SnapshotMemory, FollowerCountedBytesAfterTwoHundredInstallsStayWithinTheFirstFullCycle) {
  // Checkpoints every 16 versions, so the 200 installs take both paths many times over.
  tools::DeltaInstalls follower(held_snapshot(20000, 40), CheckpointPolicy{0.5, 16}, false);
  std::vector<uint64_t> held{follower.held().total()};
  for (int i = 0; i < 200; ++i) {
    follower.next();
    held.push_back(follower.held().total());
  }
  ASSERT_EQ(follower.installs(), 201u);
  EXPECT_EQ(follower.served().meta.version, 201u);
  EXPECT_GT(follower.deltas(), 100u);  // mostly deltas
  EXPECT_LT(follower.deltas(), 200u);  // and full snapshots in between
  // The most counted within the first cycle bounds every later install.
  uint64_t bound = 0;
  for (size_t i = 0; i <= 16; ++i) bound = std::max(bound, held[i]);
  for (size_t i = 17; i < held.size(); ++i) EXPECT_LE(held[i], bound) << "after install " << i;
}

TEST(SnapshotMemory, AFollowerServesEachStreamTheVersionsCreatedWhereTheLeaderPlacedIt) {
  // Streams created after the checkpoint travel in each delta's head, on top of the checkpoint's.
  const Snapshot start = held_snapshot(2000, 8);
  tools::DeltaInstalls follower(start, CheckpointPolicy{0.5, 16});
  for (int i = 0; i < 40; ++i) follower.next();
  const Snapshot& served = follower.served();
  const Snapshot& leader = follower.published();
  ASSERT_EQ(served.stream_count(), start.stream_count() + 40);
  EXPECT_GT(follower.deltas(), 30u);
  for (uint64_t version = 2; version <= 41; ++version) {
    const std::string id = tools::DeltaInstalls::created_id(version);
    const LookupTable::Slot* slot = served.table->find(stream_hash(id), id, served.streams->ids.arena.data());
    ASSERT_NE(slot, nullptr) << id;
    uint64_t at = leader.stream_count();
    for (uint64_t i = 0; i < leader.stream_count(); ++i)
      if (leader.streams->ids.at(i) == id) at = i;
    ASSERT_LT(at, leader.stream_count()) << id;
    EXPECT_EQ(served.servers->ids.at(slot->owner), leader.servers->ids.at(leader.owner[at])) << id;
  }
}

TEST(SnapshotMemory, FollowerReleasesEachServedVersionAndCheckpointWithinTheNextFullCycle) {
  // What the counted bytes cannot see: a version or checkpoint still referenced somewhere else.
  // Each one installed must be freed by the time a full cycle (16 versions) has gone past it.
  constexpr size_t kCycle = 17;
  tools::DeltaInstalls follower(held_snapshot(20000, 40), CheckpointPolicy{0.5, 16}, false);
  std::vector<std::weak_ptr<const Snapshot>> served, checkpoints;
  for (size_t k = 0; k < 100; ++k) {
    served.push_back(follower.served_version());
    checkpoints.push_back(follower.checkpoint());
    ASSERT_FALSE(served.back().expired());
    ASSERT_FALSE(checkpoints.back().expired()) << "no checkpoint kept after install " << k;
    follower.next();
    if (k + 1 < kCycle) continue;
    const size_t old = k + 1 - kCycle;
    EXPECT_TRUE(served[old].expired()) << "the version served after install " << old << " is alive after install "
                                       << k + 1;
    EXPECT_TRUE(checkpoints[old].expired())
        << "the checkpoint kept after install " << old << " is alive after install " << k + 1;
  }
}

}  // namespace
}  // namespace berth::test
