// Streams removed on purpose stay removed (snapshot/tombstones.h): a lookup or a load report of
// one does not bring it back, an add does, and the tombstones travel with full snapshots and
// deltas, so a new leader honours them too.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

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

// The leader's side alone, as when a lookup was recorded by a node still serving a version
// without the tombstone: the `seen` record (and a load report) is ignored.
TEST(TombstonesRefresh, SeenAndReportRecordsOfABuriedStreamAreIgnoredAndAnAddRevivesIt) {
  PluginRegistry registry;
  Appraiser appraiser(registry.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
  auto policy = std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, "least_load"), PluginConfig("policy", {}));
  auto names = std::make_shared<ServerNames>();
  auto servers = std::make_shared<ServerColumns>();
  for (const char* id : {"a", "b"}) {
    servers->ids.push_back(id);
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
  }
  auto step = [&](const Snapshot* base, std::vector<IntakeRecord> records) {
    PendingChanges pending;
    for (const IntakeRecord& r : records) pending.apply(r);
    Provenance meta;
    meta.version = base != nullptr ? base->meta.version + 1 : 1;
    return compute_refresh(base, servers, pending, appraiser, *policy, meta, names).snapshot;
  };
  constexpr double kNoLoad = std::numeric_limits<double>::quiet_NaN();
  auto v1 = step(nullptr, {{IntakeOp::add, "s1", "", 1.0}, {IntakeOp::add, "s2", "", 1.0}});
  auto v2 = step(v1.get(), {{IntakeOp::remove, "s1", "", kNoLoad}, {IntakeOp::remove, "never-added", "", kNoLoad}});
  EXPECT_FALSE(holds(*v2, "s1"));
  ASSERT_TRUE(v2->tombstones);
  EXPECT_EQ(v2->tombstones->ids(), (std::vector<std::string>{"s1", "never-added"}));
  auto v3 = step(v2.get(), {{IntakeOp::seen, "s1", "", kNoLoad}, {IntakeOp::report, "never-added", "", 3.0},
                            {IntakeOp::seen, "s3", "", kNoLoad}});
  EXPECT_FALSE(holds(*v3, "s1"));
  EXPECT_FALSE(holds(*v3, "never-added"));
  EXPECT_TRUE(holds(*v3, "s3")) << "an unknown stream, never removed, is still taken in when seen";
  EXPECT_EQ(v3->tombstones, v2->tombstones) << "unchanged tombstones are shared between versions";
  auto v4 = step(v3.get(), {{IntakeOp::add, "s1", "t", 1.0}});
  EXPECT_TRUE(holds(*v4, "s1"));
  EXPECT_EQ(v4->tombstones->ids(), std::vector<std::string>{"never-added"});

  // Carried by full snapshots and by deltas (in their head).
  EXPECT_EQ(decode_snapshot(encode_snapshot(*v3)).tombstones->ids(), v3->tombstones->ids());
  auto delta = encode_delta(*v3, *v4, size_t{1} << 20);
  ASSERT_TRUE(delta);
  Snapshot read = apply_delta(bare_copy(*v3), decode_delta(*delta));
  ASSERT_TRUE(read.tombstones);
  EXPECT_EQ(read.tombstones->ids(), v4->tombstones->ids());
  EXPECT_FALSE(decode_snapshot(encode_snapshot(*v1)).tombstones) << "no tombstones: none written, none read";
}

TEST(TombstonesRefresh, TheOldestAreForgottenPastTheBound) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < kMaxTombstones + 10; ++i) ids.push_back("gone-" + std::to_string(i));
  berth::Tombstones kept(ids);
  EXPECT_EQ(kept.size(), kMaxTombstones);
  EXPECT_FALSE(kept.contains("gone-9"));
  EXPECT_TRUE(kept.contains("gone-10"));
  EXPECT_TRUE(kept.contains("gone-" + std::to_string(kMaxTombstones + 9)));
}

}  // namespace
}  // namespace berth::testing
