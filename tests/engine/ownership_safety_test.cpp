// Where the leader must not grant (docs/ownership.md): on a base older than the latest published
// version, on a base without holder data; what a snapshot carries for that (removed streams'
// holders, the publisher's hand-off mode), and the node's warning when its mode differs.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/hash.h"
#include "engine/handoff_mode.h"
#include "engine_fixture.h"
#include "plugin/instances.h"
#include "plugin/loader.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/tombstones.h"

namespace berth::testing {
namespace {

uint64_t index_of(const Snapshot& s, std::string_view id) {
  for (uint64_t i = 0; i < s.stream_count(); ++i)
    if (s.streams->ids.at(i) == id) return i;
  return UINT64_MAX;
}

// The server id holding stream row `i`, or "" for nobody.
std::string holder_name(const Snapshot& s, uint64_t i) {
  if (i >= s.holder.size() || s.holder[i] >= s.server_count()) return "";
  return std::string(s.servers->ids.at(s.holder[i]));
}

uint32_t holder_of(const Snapshot& s, std::string_view id) {
  const uint64_t i = index_of(s, id);
  return i == UINT64_MAX || s.holder.empty() ? BERTH_NO_SERVER : s.holder[i];
}

class OwnershipSafety : public ClusterFixture {
 protected:
  // A raw backend instance of the cluster (a foreign publisher) that takes the lead from the
  // first node, with a follower `successor` next in line that serves the last good version.
  void take_over() {
    Options o;
    o.set("backend.cluster", cluster_);
    EngineOptions eo = o.resolve();
    other_ = std::make_unique<Backend>(registry_.load(BERTH_PLUGIN_BACKEND, "memory"), eo.backend.config, &no_watch_);
    other_->campaign();
    NodeSpec spec;
    spec.node_id = "successor";
    successor_ = open_node(cluster_, spec);
    // The last version the first leader published (it may publish until it resigns).
    Engine& first = leader();
    first.resign();
    ASSERT_TRUE(other_->leadership().is_leader);
    good_ = first.snapshot();
    ASSERT_EQ(good_->holder.size(), good_->stream_count());
    for (uint64_t i = 0; i < good_->stream_count(); ++i)
      ASSERT_NE(good_->holder[i], BERTH_NO_SERVER) << "stream " << good_->streams->ids.at(i) << " held by nobody before the fault";
    ASSERT_TRUE(eventually([&] { return successor_->status().version == good_->meta.version; }));
  }
  // The foreign publisher goes; the successor leads and publishes at once.
  void hand_over() {
    other_.reset();
    ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(*successor_); }));
  }

  PluginRegistry registry_;
  berth_backend_watch no_watch_{BERTH_SIZE_THROUGH(berth_backend_watch, changed), nullptr, nullptr};
  std::unique_ptr<Backend> other_;
  std::unique_ptr<Engine> successor_;
  std::shared_ptr<const Snapshot> good_;
};

TEST_F(OwnershipSafety, ALeaderThatCannotReadTheLatestVersionGrantsNothingUntilItPublishesOne) {
  start(1);
  add_served_servers(2);
  add_streams(5);
  refresh_and_converge();
  take_over();
  const uint64_t unreadable = good_->meta.version + 3;
  other_->publish(other_->leadership().epoch, unreadable, "definitely not a snapshot");
  ASSERT_TRUE(eventually([&] { return successor_->metrics().snapshots_rejected >= 1; }));
  // Added while the unreadable version was the latest: that version may have granted it.
  fleet_->add_stream("fresh", "", 1.0);
  fleet_->flush();
  hand_over();
  ASSERT_TRUE(eventually([&] { return successor_->status().version > unreadable; }));
  std::shared_ptr<const Snapshot> first = successor_->snapshot();
  ASSERT_NE(index_of(*first, "fresh"), UINT64_MAX) << "the version includes the stream";
  EXPECT_EQ(holder_of(*first, "fresh"), BERTH_NO_SERVER) << "version " << first->meta.version << " granted a stream "
                                                          << "on version " << good_->meta.version;
  for (uint64_t i = 0; i < good_->stream_count(); ++i) {
    const uint64_t j = index_of(*first, good_->streams->ids.at(i));
    ASSERT_NE(j, UINT64_MAX);
    EXPECT_EQ(holder_name(*first, j), holder_name(*good_, i)) << "kept its holder";
    EXPECT_EQ(first->token[j], good_->token[i]) << "kept its token";
  }
  // The version is readable: the next one, built on it, grants (soon, not at the hour-long interval).
  ASSERT_TRUE(eventually([&] { return holder_of(*successor_->snapshot(), "fresh") != BERTH_NO_SERVER; }))
      << "still not granted at version " << successor_->status().version;
  EXPECT_EQ(successor_->snapshot()->token[index_of(*successor_->snapshot(), "fresh")],
            first->meta.version + 1);
}

TEST_F(OwnershipSafety, ALeaderBuildingOnAVersionWithoutHolderDataGrantsNothingInIt) {
  start(1);
  add_served_servers(2);
  add_streams(5);
  refresh_and_converge();
  take_over();
  // A leader of an earlier release: the same placement, no holders.
  Snapshot old = bare_copy(*good_);
  old.meta.version = good_->meta.version + 1;
  old.meta.epoch = other_->leadership().epoch;
  old.holder.clear();
  old.token.clear();
  other_->publish(other_->leadership().epoch, old.meta.version, encode_snapshot(old));
  ASSERT_TRUE(eventually([&] { return successor_->status().version == old.meta.version; }));
  EXPECT_TRUE(successor_->snapshot()->holder.empty());
  hand_over();
  ASSERT_TRUE(eventually([&] { return successor_->status().version > old.meta.version; }));
  std::shared_ptr<const Snapshot> first = successor_->snapshot();
  ASSERT_EQ(first->holder.size(), first->stream_count());
  for (uint64_t i = 0; i < first->stream_count(); ++i)
    EXPECT_EQ(first->holder[i], BERTH_NO_SERVER) << "version " << first->meta.version << " granted stream "
                                                 << first->streams->ids.at(i);
  ASSERT_TRUE(eventually([&] {
    auto s = successor_->snapshot();
    return s->stream_count() > 0 && s->holder == s->owner;
  })) << "never granted again, at version " << successor_->status().version;
}

// ------------------------------------------------------------------ what the snapshot carries

Snapshot two_servers_one_removed_hold() {
  Snapshot s;
  s.meta.version = 7;
  s.meta.soft_handoff = true;
  auto servers = std::make_shared<ServerColumns>();
  for (const char* id : {"a", "b"}) {
    servers->ids.push_back(id);
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
    servers->incarnation.push_back(3);
  }
  s.servers = servers;
  auto streams = std::make_shared<StreamColumns>();
  streams->tenants.push_back("");
  streams->ids.push_back("s1");
  streams->hash.push_back(stream_hash("s1"));
  streams->tenant.push_back(0);
  s.streams = streams;
  s.owner = {0};
  s.load = {1.0f};
  s.holder = {0};
  s.token = {5};
  s.tombstones = std::make_shared<const Tombstones>(std::vector<std::string>{"gone", "held-gone"});
  s.removed_holds = {RemovedHold{"held-gone", 1, 6}};
  return s;
}

TEST(OwnershipSafetyCodec, RemovedHoldsAndTheHandOffModeRoundTrip) {
  Snapshot s = two_servers_one_removed_hold();
  Snapshot back = decode_snapshot(encode_snapshot(s));
  EXPECT_TRUE(back.meta.soft_handoff);
  ASSERT_EQ(back.removed_holds.size(), 1u);
  EXPECT_EQ(back.removed_holds[0].stream, "held-gone");
  EXPECT_EQ(back.removed_holds[0].holder, 1u);
  EXPECT_EQ(back.removed_holds[0].token, 6u);
  s.meta.soft_handoff = false;
  EXPECT_FALSE(decode_snapshot(encode_snapshot(s)).meta.soft_handoff);
}

TEST(OwnershipSafetyCodec, ADeltaCarriesRemovedHoldsAndTheHandOffMode) {
  auto names = std::make_shared<ServerNames>();
  Snapshot base = two_servers_one_removed_hold();
  base.meta.soft_handoff = false;
  base.removed_holds.clear();
  finish_snapshot(base, nullptr, names);
  Snapshot next = two_servers_one_removed_hold();
  next.meta.version = 8;
  finish_snapshot(next, nullptr, names);
  std::optional<std::string> bytes = encode_delta(base, next, 1 << 20);
  ASSERT_TRUE(bytes.has_value());
  Snapshot applied = apply_delta(base, decode_delta(*bytes));
  EXPECT_TRUE(applied.meta.soft_handoff);
  ASSERT_EQ(applied.removed_holds.size(), 1u);
  EXPECT_EQ(applied.removed_holds[0].stream, "held-gone");
  EXPECT_EQ(applied.removed_holds[0].holder, 1u);
  EXPECT_EQ(applied.removed_holds[0].token, 6u);
}

TEST(OwnershipSafetyCodec, ARemovedHoldMustNameARemovedStreamAServerAndAToken) {
  struct Case {
    const char* what;
    RemovedHold hold;
    const char* says;
  };
  for (const Case& c : {Case{"not removed", {"s1", 0, 6}, "not among the removed streams"},
                        Case{"no such server", {"held-gone", 2, 6}, "names server #2 of 2"},
                        Case{"no token", {"held-gone", 1, 0}, "token 0"}}) {
    Snapshot s = two_servers_one_removed_hold();
    s.removed_holds = {c.hold};
    try {
      decode_snapshot(encode_snapshot(s));
      ADD_FAILURE() << c.what << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << c.what;
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.what << ": " << e.what();
    }
  }
}

TEST(OwnershipSafetyMode, ANodeWhoseModeDiffersFromThePublishedOneIsWarnedOncePerChange) {
  HandoffMode strict(false, "n1");
  Provenance meta;
  meta.version = 1;
  EXPECT_FALSE(strict.installed(meta)) << "the same mode";
  meta.soft_handoff = true;
  meta.version = 2;
  EXPECT_TRUE(strict.installed(meta));
  meta.version = 3;
  EXPECT_FALSE(strict.installed(meta)) << "warned already for this mode";
  meta.soft_handoff = false;
  meta.version = 4;
  EXPECT_FALSE(strict.installed(meta));
  meta.soft_handoff = true;
  meta.version = 5;
  EXPECT_TRUE(strict.installed(meta)) << "the published mode changed again";

  HandoffMode soft(true, "n2");
  meta.soft_handoff = false;
  EXPECT_TRUE(soft.installed(meta)) << "the first version seen already differs";
}

TEST_F(OwnershipSafety, TheLeadersHandOffModeIsPublished) {
  Options o;
  o.set("backend.name", "memory");
  o.set("backend.cluster", unique_cluster("soft-mode"));
  o.set("engine.node_id", "soft-leader");
  o.set("engine.refresh_interval", "1h");
  o.set("engine.intake_refresh_delay", "0");
  o.set("ownership.soft_handoff", "true");
  Engine soft(o.resolve());
  ASSERT_TRUE(eventually([&] { return leads_past_its_election_refresh(soft); }));
  soft.join("x", 1.0);
  soft.refresh();
  ASSERT_GT(soft.status().version, 0u);
  EXPECT_TRUE(soft.snapshot()->meta.soft_handoff);

  start(1);
  refresh_and_converge();
  EXPECT_FALSE(leader().snapshot()->meta.soft_handoff);
}

}  // namespace
}  // namespace berth::testing
