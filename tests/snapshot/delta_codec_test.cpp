// Deltas round trip: what a follower builds from checkpoint + delta is what the leader published,
// stream for stream and in the same order (so derived figures, and the placer, agree too).
#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"

namespace berth::test {
namespace {

constexpr size_t kNoLimit = size_t{1} << 40;

void expect_same(const Snapshot& got, const Snapshot& want) {
  EXPECT_EQ(got.meta.version, want.meta.version);
  EXPECT_EQ(got.meta.epoch, want.meta.epoch);
  EXPECT_EQ(got.meta.policy, want.meta.policy);
  EXPECT_EQ(got.meta.leader, want.meta.leader);
  ASSERT_EQ(got.server_count(), want.server_count());
  for (uint32_t j = 0; j < want.server_count(); ++j) EXPECT_EQ(got.servers->ids.at(j), want.servers->ids.at(j));
  ASSERT_EQ(got.stream_count(), want.stream_count());
  for (uint64_t i = 0; i < want.stream_count(); ++i) {
    ASSERT_EQ(got.streams->ids.at(i), want.streams->ids.at(i)) << "stream #" << i;
    EXPECT_EQ(got.streams->hash[i], want.streams->hash[i]);
    EXPECT_EQ(got.streams->tenants.at(got.streams->tenant[i]), want.streams->tenants.at(want.streams->tenant[i]));
    EXPECT_EQ(got.load[i], want.load[i]);
    EXPECT_EQ(got.servers->ids.at(got.owner[i]), want.servers->ids.at(want.owner[i])) << want.streams->ids.at(i);
  }
}

// Checkpoint -> bytes -> follower's snapshot, finished on top of `previous`.
Snapshot through_delta(const Snapshot& base, const Snapshot& next, DeltaCounts* counts = nullptr,
                       const Snapshot* previous = nullptr) {
  std::optional<std::string> bytes = encode_delta(base, next, kNoLimit, counts);
  EXPECT_TRUE(bytes.has_value());
  Snapshot base_read = decode_snapshot(encode_snapshot(base));  // as a follower holds it
  Snapshot out = apply_delta(base_read, decode_delta(*bytes));
  finish(out, previous);
  return out;
}

TEST(SnapshotDelta, MovedStreamsOnly) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(1000));
  finish(base);
  Snapshot next = next_version(base, 11);
  for (uint64_t i = 0; i < 1000; i += 37) next.owner[i] = (next.owner[i] + 1) % 4;
  next.load[5] = 42.5f;
  finish(next, &base);
  DeltaCounts counts;
  Snapshot got = through_delta(base, next, &counts);
  expect_same(got, next);
  EXPECT_EQ(counts.changed, 29u) << "28 moved (0, 37, ..., 999), one reloaded";
  EXPECT_EQ(counts.added, 0u);
  EXPECT_EQ(counts.removed, 0u);
}

TEST(SnapshotDelta, NothingChangedSharesTheCheckpointsColumnsAndTable) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(200));
  finish(base);
  Snapshot next = next_version(base, 11);
  finish(next, &base);
  DeltaCounts counts;
  Snapshot base_read = base;  // the checkpoint a follower holds, and serves
  Snapshot got = apply_delta(base_read, decode_delta(*encode_delta(base, next, kNoLimit, &counts)));
  EXPECT_EQ(got.streams, base_read.streams) << "no stream came or went: the columns are shared";
  finish(got, &base_read);
  EXPECT_EQ(got.table, base_read.table) << "no owner changed: the lookup table is shared";
  EXPECT_EQ(counts.changed + counts.added + counts.removed, 0u);
}

TEST(SnapshotDelta, AFollowersTableIsPatchedWhenFewStreamsMoved) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(1000));
  finish(base);
  Snapshot next = next_version(base, 11);
  next.owner[7] = (next.owner[7] + 2) % 4;
  finish(next, &base);
  Snapshot got = through_delta(base, next, nullptr, &base);
  expect_same(got, next);
  const auto* slot = got.table->find(stream_hash("stream-7"), "stream-7", got.streams->ids.arena.data());
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(slot->owner, next.owner[7]);
}

TEST(SnapshotDelta, AddedAndRemovedStreamsKeepTheLeadersOrder) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(3)), stream_ids(500));
  finish(base);
  // As a refresh builds it: the base's streams minus removals, in order, then the new ones.
  std::vector<std::string> ids;
  for (uint64_t i = 0; i < 500; ++i)
    if (i % 50 != 3) ids.push_back("stream-" + std::to_string(i));
  for (const std::string& id : stream_ids(20, 9000)) ids.push_back(id);
  Snapshot next = make_snapshot(12, base.servers, ids);
  finish(next);
  DeltaCounts counts;
  Snapshot got = through_delta(base, next, &counts);
  expect_same(got, next);
  EXPECT_EQ(counts.removed, 10u);
  EXPECT_EQ(counts.added, 20u);
  EXPECT_EQ(got.balance.total_load, next.balance.total_load) << "same order, same sums";
}

TEST(SnapshotDelta, AStreamRemovedAndAddedAgainComesBackWhole) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(3)), stream_ids(100));
  finish(base);
  std::vector<std::string> ids = stream_ids(100);
  ids.erase(ids.begin() + 40);
  ids.push_back("stream-40");  // gone and back in one version: now at the end
  Snapshot next = make_snapshot(11, base.servers, ids);
  finish(next);
  Snapshot got = through_delta(base, next);
  expect_same(got, next);
}

TEST(SnapshotDelta, StreamsInAnotherOrderStillRoundTrip) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(3)), stream_ids(100));
  finish(base);
  std::vector<std::string> ids = stream_ids(100);
  std::reverse(ids.begin() + 10, ids.end());  // not a refresh's order: written whole from there
  Snapshot next = make_snapshot(11, base.servers, ids);
  finish(next);
  DeltaCounts counts;
  Snapshot got = through_delta(base, next, &counts);
  expect_same(got, next);
  EXPECT_EQ(counts.added, 90u);
}

TEST(SnapshotDelta, ServersJoiningAndLeavingAreMatchedById) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(400));
  finish(base);
  // srv-1001 leaves, srv-0999 and srv-1010 join: every index shifts.
  std::vector<std::string> servers = {"srv-0999", "srv-1000", "srv-1002", "srv-1003", "srv-1010"};
  Snapshot next = next_version(base, 11);
  next.servers = make_servers(servers);
  for (uint64_t i = 0; i < 400; ++i) {
    std::string was(base.servers->ids.at(base.owner[i]));
    uint32_t now = 0;
    if (was == "srv-1001") now = i % 2 == 0 ? 0 : 4;  // moved off the server that left
    else now = static_cast<uint32_t>(std::find(servers.begin(), servers.end(), was) - servers.begin());
    next.owner[i] = now;
  }
  finish(next);
  DeltaCounts counts;
  Snapshot got = through_delta(base, next, &counts);
  expect_same(got, next);
  EXPECT_EQ(counts.changed, 100u) << "only the streams of the server that left moved";
}

// Every stream of `s` is found in its lookup table with its owner.
void expect_table_answers(const Snapshot& s) {
  for (uint64_t i = 0; i < s.stream_count(); ++i) {
    const auto* slot = s.table->find(s.streams->hash[i], s.streams->ids.at(i), s.streams->ids.arena.data());
    ASSERT_NE(slot, nullptr) << s.streams->ids.at(i);
    ASSERT_EQ(slot->owner, s.owner[i]) << s.streams->ids.at(i);
  }
}

TEST(SnapshotDelta, AServerJoiningRenumbersOwnersInACarriedOverTable) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4, 1)), stream_ids(800));
  finish(base);
  // srv-1000 joins in front: every owner index grows by one; a few streams move to it.
  Snapshot next = next_version(base, 11);
  next.servers = make_servers(server_ids(5, 0));
  for (uint64_t i = 0; i < 800; ++i) next.owner[i] = i % 50 == 0 ? 0 : base.owner[i] + 1;
  finish(next, &base);
  EXPECT_NE(next.table, base.table);
  expect_table_answers(next);
  Snapshot followed = through_delta(base, next, nullptr, &base);  // a follower carries its table over too
  expect_same(followed, next);
  expect_table_answers(followed);
}

TEST(SnapshotDelta, ServerChangesTravelWhole) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(3)), stream_ids(60));
  finish(base);
  auto servers = std::make_shared<ServerColumns>(*base.servers);
  servers->capacity[1] = 4.0;
  servers->state[2] = BERTH_SERVER_DRAINING;
  servers->labels.resize(3);
  servers->labels[0] = {{"zone", "eu-1"}};
  Snapshot next = next_version(base, 11);
  next.servers = servers;
  finish(next);
  DeltaCounts counts;
  Snapshot got = through_delta(base, next, &counts);
  expect_same(got, next);
  EXPECT_EQ(counts.changed, 0u) << "no stream moved";
  EXPECT_EQ(got.servers->capacity[1], 4.0);
  EXPECT_EQ(got.servers->state[2], BERTH_SERVER_DRAINING);
  EXPECT_EQ(got.servers->labels_of(0), (Labels{{"zone", "eu-1"}}));
}

TEST(SnapshotDelta, TenantsAreMatchedByName) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(2)), stream_ids(50));
  finish(base);
  Snapshot next = make_snapshot(11, base.servers, stream_ids(50));
  auto streams = std::make_shared<StreamColumns>(*next.streams);
  streams->tenants = StringColumn{};
  for (const char* t : {"", "tenant-b", "tenant-a"}) streams->tenants.push_back(t);  // reordered, one new
  for (uint64_t i = 0; i < 50; ++i) streams->tenant[i] = i % 2 == 0 ? 0 : (i == 9 ? 1 : 2);
  next.streams = streams;
  finish(next);
  DeltaCounts counts;
  Snapshot got = through_delta(base, next, &counts);
  expect_same(got, next);
  EXPECT_EQ(counts.changed, 1u) << "only stream-9 changed tenant";
}

TEST(SnapshotDelta, DeltasAreCumulativeAgainstTheCheckpoint) {
  Snapshot checkpoint = make_snapshot(10, make_servers(server_ids(4)), stream_ids(300));
  finish(checkpoint);
  Snapshot v11 = next_version(checkpoint, 11);
  v11.owner[1] = 3;
  finish(v11, &checkpoint);
  Snapshot v12 = next_version(v11, 12);
  v12.owner[2] = 3;
  finish(v12, &v11);
  // A follower that saw neither v11 nor its delta needs only the checkpoint and v12's delta.
  DeltaCounts counts;
  Snapshot got = through_delta(checkpoint, v12, &counts);
  expect_same(got, v12);
  EXPECT_EQ(counts.changed, 2u);
}

TEST(SnapshotDelta, AnEmptySnapshotIsABaseToo) {
  Snapshot base = make_snapshot(1, make_servers(server_ids(2)), {});
  finish(base);
  Snapshot next = make_snapshot(2, base.servers, stream_ids(30));
  finish(next);
  expect_same(through_delta(base, next), next);
  Snapshot empty = make_snapshot(3, base.servers, {});
  finish(empty);
  expect_same(through_delta(next, empty), empty);
}

TEST(SnapshotDelta, ABudgetTooSmallMeansAFullSnapshot) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(1000));
  finish(base);
  Snapshot next = next_version(base, 11);
  for (uint64_t i = 0; i < 1000; ++i) next.owner[i] = (next.owner[i] + 1) % 4;
  finish(next, &base);
  EXPECT_FALSE(encode_delta(base, next, 1000).has_value()) << "every stream moved";
  EXPECT_TRUE(encode_delta(base, next, kNoLimit).has_value());
}

}  // namespace
}  // namespace berth::test
