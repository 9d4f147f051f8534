// Checkpoints: when the leader publishes a delta or a full snapshot, and how a follower reads
// either, fetching the checkpoint when it does not hold it.
#include <gtest/gtest.h>

#include "common/error.h"
#include "snapshot/checkpoints.h"
#include "snapshot/codec.h"
#include "snapshot/delta_fixture.h"

namespace berth::test {
namespace {

struct Versions {
  Snapshot v1, v2;
  std::string full1, delta2;
};

Versions sample() {
  Versions s;
  s.v1 = make_snapshot(1, make_servers(server_ids(4)), stream_ids(3000));
  finish(s.v1);
  s.v2 = next_version(s.v1, 2);
  s.v2.owner[17] = (s.v2.owner[17] + 1) % 4;
  finish(s.v2, &s.v1);
  s.full1 = encode_snapshot(s.v1);
  s.delta2 = *encode_delta(s.v1, s.v2, size_t{1} << 30);
  return s;
}

auto no_fetch = [](uint64_t version) -> std::string {
  throw Error(BERTH_E_NOT_FOUND, "no version " + std::to_string(version) + " here");
};

TEST(Checkpoints, TheLeaderPublishesDeltasUntilACheckpointIsDue) {
  Versions s = sample();
  Checkpoints leader(CheckpointPolicy{0.1, 2});
  Checkpoints::Publication p1 = leader.prepare(s.v1, true);
  EXPECT_EQ(p1.base_version, 0u) << "nothing to be based on yet";
  leader.published(s.v1, p1);
  Checkpoints::Publication p2 = leader.prepare(s.v2, true);
  EXPECT_EQ(p2.base_version, 1u);
  EXPECT_EQ(p2.counts.changed, 1u);
  leader.published(s.v2, p2);
  EXPECT_EQ(leader.prepare(s.v2, true).base_version, 1u)
      << "a delta does not become the checkpoint (version 2 as the checkpoint would make a full one due)";
  Snapshot v3 = next_version(s.v2, 3);
  finish(v3, &s.v2);
  EXPECT_EQ(leader.prepare(v3, true).base_version, 0u) << "two versions after the checkpoint: due";
}

TEST(Checkpoints, AFollowerHoldingTheCheckpointNeedsNoFetch) {
  Versions s = sample();
  Checkpoints follower(CheckpointPolicy{});
  Checkpoints::Read r1 = follower.read(1, 0, s.full1, no_fetch);
  follower.keep(r1.checkpoint, r1.checkpoint_bytes);
  Checkpoints::Read r2 = follower.read(2, 1, s.delta2, no_fetch);
  EXPECT_EQ(r2.snapshot.owner, s.v2.owner);
  EXPECT_EQ(r2.checkpoint, r1.checkpoint);
}

TEST(Checkpoints, AFollowerWithoutTheCheckpointFetchesIt) {
  Versions s = sample();
  Checkpoints follower(CheckpointPolicy{});
  std::vector<uint64_t> asked;
  Checkpoints::Read r = follower.read(2, 1, s.delta2, [&](uint64_t v) {
    asked.push_back(v);
    return s.full1;
  });
  EXPECT_EQ(asked, std::vector<uint64_t>{1});
  EXPECT_EQ(r.snapshot.owner, s.v2.owner);
  EXPECT_EQ(r.checkpoint->meta.version, 1u);
}

TEST(Checkpoints, ACheckpointHeldUnderTheRightVersionButWrongIsReplacedByTheBackendsCopy) {
  Versions s = sample();
  Checkpoints follower(CheckpointPolicy{});
  Snapshot impostor = make_snapshot(1, make_servers(server_ids(4)), stream_ids(10));  // version 1, other content
  follower.keep(std::make_shared<const Snapshot>(impostor), 100);
  Checkpoints::Read r = follower.read(2, 1, s.delta2, [&](uint64_t) { return s.full1; });
  EXPECT_EQ(r.snapshot.owner, s.v2.owner);
  follower.keep(r.checkpoint, r.checkpoint_bytes);
  EXPECT_EQ(follower.read(2, 1, s.delta2, no_fetch).snapshot.owner, s.v2.owner) << "the real one is held now";
}

TEST(Checkpoints, ABadDeltaHandsTheCheckpointToTheCaller) {
  Versions s = sample();
  Checkpoints follower(CheckpointPolicy{});
  try {
    follower.read(2, 1, s.delta2.substr(0, s.delta2.size() / 3), [&](uint64_t) { return s.full1; });
    ADD_FAILURE() << "a truncated delta was read";
  } catch (const Checkpoints::Unreadable& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    ASSERT_NE(e.checkpoint, nullptr);
    EXPECT_EQ(e.checkpoint->meta.version, 1u);
    EXPECT_EQ(e.checkpoint->owner, s.v1.owner);
  }
}

TEST(Checkpoints, ABaseThatCannotBeFetchedIsAClearError) {
  Versions s = sample();
  Checkpoints follower(CheckpointPolicy{});
  try {
    follower.read(2, 1, s.delta2, no_fetch);
    ADD_FAILURE() << "read without its base";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("no version 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(follower.read(2, 2, s.delta2, no_fetch), Error) << "a base that is not older";
  EXPECT_THROW(follower.read(3, 1, s.delta2, [&](uint64_t) { return s.full1; }), Error) << "bytes of another version";
}

}  // namespace
}  // namespace berth::test
