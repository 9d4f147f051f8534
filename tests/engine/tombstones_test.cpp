// Streams removed on purpose stay removed (snapshot/tombstones.h): a lookup or a load report of
// one does not bring it back, an add does, and the tombstones travel with full snapshots and
// deltas, so a new leader honours them too.
#include <gtest/gtest.h>

#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "engine/intake_ledger.h"
#include "engine/refresh.h"
#include "engine_fixture.h"
#include "plugin/loader.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"

namespace berth::testing {
namespace {

bool holds(const Snapshot& s, const std::string& id) {
  for (uint64_t i = 0; i < s.stream_count(); ++i)
    if (s.streams->ids.at(i) == id) return true;
  return false;
}

bool buried(const Snapshot& s, const std::string& id) { return s.tombstones && s.tombstones->contains(id); }

class TombstonesCluster : public ClusterFixture {};

TEST_F(TombstonesCluster, ARemovedStreamLookedUpStaysRemovedUntilAddedAgain) {
  start(2);
  add_servers(3);
  add_streams(10);
  refresh_and_converge();
  fleet_->remove_stream("stream-3");
  fleet_->flush();
  uint64_t removed_at = refresh_and_converge();
  ASSERT_TRUE(eventually([&] { return fleet_->status().version >= removed_at; }));
  ASSERT_FALSE(holds(*leader().snapshot(), "stream-3"));
  EXPECT_TRUE(buried(*leader().snapshot(), "stream-3"));

  std::string answer = fleet_->lookup("stream-3");  // as any unknown stream: placed, not refused
  EXPECT_EQ(answer.rfind("server-", 0), 0u) << answer;
  for (auto& n : nodes_) EXPECT_EQ(n->lookup("stream-3"), answer);
  fleet_->report_load("stream-3", 5.0);
  fleet_->flush();
  refresh_and_converge();
  auto after = leader().snapshot();
  EXPECT_FALSE(holds(*after, "stream-3")) << "a lookup or a load report brought a removed stream back";
  EXPECT_EQ(after->stream_count(), 9u);

  fleet_->add_stream("stream-3", "tenant-back", 2.0);
  fleet_->flush();
  refresh_and_converge();
  auto back = leader().snapshot();
  EXPECT_TRUE(holds(*back, "stream-3")) << "an add brings a removed stream back";
  EXPECT_FALSE(buried(*back, "stream-3"));
  EXPECT_EQ(back->stream_count(), 10u);
}

TEST_F(TombstonesCluster, ANewLeaderHonoursTheTombstonesOfTheOldOne) {
  start(2);
  add_servers(3);
  add_streams(10);
  refresh_and_converge();
  fleet_->remove_stream("stream-7");
  fleet_->flush();
  uint64_t removed_at = refresh_and_converge();
  Engine& old_leader = leader();
  uint64_t old_epoch = old_leader.status().epoch;
  old_leader.resign();
  Engine* next = nullptr;
  ASSERT_TRUE(eventually([&] {
    for (auto& n : nodes_)
      if (n.get() != &old_leader && n->status().is_leader && n->status().epoch > old_epoch) next = n.get();
    return next != nullptr;
  }));
  ASSERT_TRUE(eventually([&] { return next->status().version > removed_at; })) << "the new leader did not publish";
  ASSERT_TRUE(eventually([&] { return fleet_->status().version >= removed_at; }));
  EXPECT_EQ(std::string(fleet_->lookup("stream-7")).rfind("server-", 0), 0u);
  fleet_->report_load("stream-7", 4.0);  // reaches the new leader, which must ignore it
  fleet_->flush();
  next->refresh();
  EXPECT_FALSE(holds(*next->snapshot(), "stream-7")) << "the new leader brought a removed stream back";
  EXPECT_TRUE(buried(*next->snapshot(), "stream-7"));

  fleet_->add_stream("stream-7", "", 1.0);
  fleet_->flush();
  next->refresh();
  EXPECT_TRUE(holds(*next->snapshot(), "stream-7"));
}

// The leader's refresh alone, on two servers.
class TombstonesRefresh : public ::testing::Test {
 protected:
  TombstonesRefresh() {
    for (const char* id : {"a", "b"}) {
      servers_->ids.push_back(id);
      servers_->capacity.push_back(1.0);
      servers_->state.push_back(BERTH_SERVER_UP);
    }
  }
  std::shared_ptr<Snapshot> step(const Snapshot* base, const PendingChanges& pending) {
    Provenance meta;
    meta.version = base != nullptr ? base->meta.version + 1 : 1;
    return compute_refresh(base, servers_, pending, appraiser_, *policy_, meta, names_).snapshot;
  }
  std::shared_ptr<Snapshot> step(const Snapshot* base, const std::vector<IntakeRecord>& records) {
    PendingChanges pending;
    for (const IntakeRecord& r : records) pending.apply(r);
    return step(base, pending);
  }

  static constexpr double kNoLoad = std::numeric_limits<double>::quiet_NaN();
  PluginRegistry registry_;
  Appraiser appraiser_{registry_.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {})};
  std::shared_ptr<Policy> policy_ =
      std::make_shared<Policy>(registry_.load(BERTH_PLUGIN_POLICY, "least_load"), PluginConfig("policy", {}));
  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
  std::shared_ptr<ServerColumns> servers_ = std::make_shared<ServerColumns>();
};

// As when a lookup was recorded by a node still serving a version without the tombstone: the
// `seen` record (and a load report) is ignored.
TEST_F(TombstonesRefresh, SeenAndReportRecordsOfABuriedStreamAreIgnoredAndAnAddRevivesIt) {
  auto v1 = step(nullptr, {{IntakeOp::add, "s1", "", 1.0}, {IntakeOp::add, "s2", "", 1.0}});
  auto v2 = step(v1.get(), {{IntakeOp::remove, "s1", "", kNoLoad}, {IntakeOp::seen, "s4", "", kNoLoad},
                            {IntakeOp::remove, "s4", "", kNoLoad}});
  EXPECT_FALSE(holds(*v2, "s1"));
  EXPECT_FALSE(holds(*v2, "s4"));
  ASSERT_TRUE(v2->tombstones);
  EXPECT_EQ(v2->tombstones->ids(), (std::vector<std::string>{"s1", "s4"}))
      << "a stream of the base, and one heard of in the same refresh, are buried";
  auto v3 = step(v2.get(), {{IntakeOp::seen, "s1", "", kNoLoad}, {IntakeOp::report, "s4", "", 3.0},
                            {IntakeOp::seen, "s3", "", kNoLoad}});
  EXPECT_FALSE(holds(*v3, "s1"));
  EXPECT_FALSE(holds(*v3, "s4"));
  EXPECT_TRUE(holds(*v3, "s3")) << "an unknown stream, never removed, is still taken in when seen";
  EXPECT_EQ(v3->tombstones, v2->tombstones) << "unchanged tombstones are shared between versions";
  auto v4 = step(v3.get(), {{IntakeOp::add, "s1", "t", 1.0}});
  EXPECT_TRUE(holds(*v4, "s1"));
  EXPECT_EQ(v4->tombstones->ids(), std::vector<std::string>{"s4"});

  // Carried by full snapshots and by deltas (in their head).
  EXPECT_EQ(decode_snapshot(encode_snapshot(*v3)).tombstones->ids(), v3->tombstones->ids());
  auto delta = encode_delta(*v3, *v4, size_t{1} << 20);
  ASSERT_TRUE(delta);
  Snapshot read = apply_delta(bare_copy(*v3), decode_delta(*delta));
  ASSERT_TRUE(read.tombstones);
  EXPECT_EQ(read.tombstones->ids(), v4->tombstones->ids());
  EXPECT_FALSE(decode_snapshot(encode_snapshot(*v1)).tombstones) << "no tombstones: none written, none read";
}

TEST_F(TombstonesRefresh, RemovingAnIdNobodyKnewTakesNoSlot) {
  auto v1 = step(nullptr, {{IntakeOp::add, "s1", "", 1.0}});
  auto v2 = step(v1.get(), {{IntakeOp::remove, "never-added", "", kNoLoad}});
  EXPECT_FALSE(v2->tombstones) << "nothing known was removed";
  auto v3 = step(v2.get(), {{IntakeOp::remove, "s1", "", kNoLoad}, {IntakeOp::remove, "never-added", "", kNoLoad}});
  ASSERT_TRUE(v3->tombstones);
  EXPECT_EQ(v3->tombstones->ids(), std::vector<std::string>{"s1"});
}

TEST_F(TombstonesRefresh, RemovingABuriedStreamAgainMovesItToTheNewestPlace) {
  auto v1 = step(nullptr, {{IntakeOp::add, "s1", "", 1.0}, {IntakeOp::add, "s2", "", 1.0}, {IntakeOp::add, "s3", "", 1.0}});
  auto v2 = step(v1.get(), {{IntakeOp::remove, "s1", "", kNoLoad}, {IntakeOp::remove, "s2", "", kNoLoad}});
  ASSERT_TRUE(v2->tombstones);
  EXPECT_EQ(v2->tombstones->ids(), (std::vector<std::string>{"s1", "s2"}));
  auto v3 = step(v2.get(), {{IntakeOp::remove, "s1", "", kNoLoad}});
  ASSERT_TRUE(v3->tombstones);
  EXPECT_EQ(v3->tombstones->ids(), (std::vector<std::string>{"s2", "s1"}));
  auto v4 = step(v3.get(), {{IntakeOp::remove, "s3", "", kNoLoad}, {IntakeOp::remove, "s2", "", kNoLoad}});
  EXPECT_EQ(v4->tombstones->ids(), (std::vector<std::string>{"s1", "s3", "s2"}));
}

TEST(TombstonesBound, TheOldestAreForgottenPastTheCountBound) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < kMaxTombstones + 10; ++i) ids.push_back("gone-" + std::to_string(i));
  berth::Tombstones kept(ids);
  EXPECT_EQ(kept.size(), kMaxTombstones);
  EXPECT_FALSE(kept.contains("gone-9"));
  EXPECT_TRUE(kept.contains("gone-10"));
  EXPECT_TRUE(kept.contains("gone-" + std::to_string(kMaxTombstones + 9)));
}

// A removal a leader took but did not publish goes back to the backend (folded after a failed
// refresh, or given back when the leader stops leading). An add of the same stream a host sent
// meanwhile is newer and must win over it, or the removal would bury a stream that was added again.
class TombstonesIntake : public TombstonesRefresh {
 protected:
  TombstonesIntake()
      : backend_(registry_.load(BERTH_PLUGIN_BACKEND, "memory"),
                 PluginConfig("backend", {{"cluster", unique_cluster("tombstones-intake"), "test"}}), nullptr) {
    backend_.campaign();
  }
  void submit(IntakeOp op, const std::string& stream) {
    std::string batch;
    append_intake(batch, op, stream, "", op == IntakeOp::add ? 1.0 : kNoLoad);
    backend_.submit(batch);
  }
  // The base: s0..s9 on two servers.
  std::shared_ptr<Snapshot> base() {
    std::vector<IntakeRecord> adds;
    for (int i = 0; i < 10; ++i) adds.push_back({IntakeOp::add, "s" + std::to_string(i), "", 1.0});
    return step(nullptr, adds);
  }

  Backend backend_;
  std::mutex mutex_;
  BackendRef ref_{backend_, mutex_};
};

TEST_F(TombstonesIntake, AnAddSentAfterAFoldedRemovalWins) {
  ASSERT_TRUE(eventually([&] { return backend_.leadership().is_leader == 1; }));
  ASSERT_TRUE(backend_.supports_intake_keys());
  auto v1 = base();
  for (int i = 0; i < 300; ++i) submit(IntakeOp::report, "s" + std::to_string(i % 10));  // enough to fold
  submit(IntakeOp::remove, "s3");
  IntakeLedger leader(true, "leader");
  ASSERT_EQ(leader.take(ref_, 1), 0u);
  // The refresh including the removal fails; a host adds the stream again meanwhile.
  submit(IntakeOp::add, "s3");
  leader.failed(ref_);
  ASSERT_EQ(leader.take(ref_, 1), 0u);
  auto v2 = step(v1.get(), leader.pending());
  EXPECT_TRUE(holds(*v2, "s3")) << "the folded removal overtook the add sent after it";
  EXPECT_FALSE(buried(*v2, "s3"));
  EXPECT_LE(backend_.peek_intake().size(), 3u) << "the add was folded and settled with the rest";
}

TEST_F(TombstonesIntake, AnAddSentAfterARemovalGivenBackWins) {
  ASSERT_TRUE(eventually([&] { return backend_.leadership().is_leader == 1; }));
  auto v1 = base();
  submit(IntakeOp::remove, "s3");
  submit(IntakeOp::remove, "s5");
  IntakeLedger old_leader(false, "old-leader");
  ASSERT_EQ(old_leader.take(ref_, 1), 0u);
  ASSERT_TRUE(old_leader.pending().find("s3") != nullptr);
  // The old leader stops leading before it publishes; a host adds the stream again meanwhile.
  submit(IntakeOp::add, "s3");
  old_leader.give_back(ref_);
  IntakeLedger next_leader(false, "next-leader");
  ASSERT_EQ(next_leader.take(ref_, 2), 0u);
  auto v2 = step(v1.get(), next_leader.pending());
  EXPECT_TRUE(holds(*v2, "s3")) << "the given-back removal overtook the add sent after it";
  EXPECT_FALSE(buried(*v2, "s3"));
  EXPECT_FALSE(holds(*v2, "s5")) << "a removal given back still applies";
  EXPECT_TRUE(buried(*v2, "s5"));
}

}  // namespace
}  // namespace berth::testing
