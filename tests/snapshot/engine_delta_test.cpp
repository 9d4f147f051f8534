// Engines publishing and reading deltas through the memory backend: the leader publishes a
// delta against its last checkpoint when few streams changed, followers (late ones included)
// read checkpoint + delta, and a delta that cannot be read leaves a follower serving what it had.
#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/engine_fixture.h"
#include "plugin/loader.h"
#include "snapshot/codec.h"
#include "snapshot/schema_edit.h"

namespace berth::testing {
namespace {

struct Node {
  std::string id;
  bool campaign = false;
  std::string checkpoint_every = "64";
  std::string checkpoint_ratio = "0.1";
};

class EngineDelta : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = unique_cluster("delta");
    backend_ = std::make_unique<Backend>(registry_.load(BERTH_PLUGIN_BACKEND, "memory"),
                                         PluginConfig("backend", {{"cluster", cluster_, "test"}}), nullptr);
  }

  // `policy`: empty for the fixture's policy_.
  std::unique_ptr<Engine> open(const Node& node, const std::string& policy = "", bool implicit_owners = true) {
    Options o;
    o.set("backend.name", "memory");
    o.set("backend.cluster", cluster_);
    o.set("policy.name", policy.empty() ? policy_ : policy);
    o.set("appraiser.name", "reported");
    o.set("engine.node_id", node.id);
    o.set("engine.campaign", node.campaign ? "true" : "false");
    o.set("engine.refresh_on_change", "false");
    o.set("engine.refresh_interval", "1h");
    o.set("engine.intake_flush", "2ms");
    o.set("engine.intake_refresh_delay", "0");  // versions only where a test refreshes
    o.set("engine.checkpoint_every", node.checkpoint_every);
    o.set("engine.checkpoint_ratio", node.checkpoint_ratio);
    o.set("engine.implicit_owners", implicit_owners ? "true" : "false");
    return std::make_unique<Engine>(o.resolve());
  }

  // A fleet engine (servers, streams), a follower, and then a leader, whose first publication
  // (on taking leadership) places all `streams` streams: version 1, a checkpoint.
  void start(int streams, Node leader = {"leader", true}) {
    fleet_ = open({"fleet"});
    follower_ = open({"follower"});
    for (int s = 0; s < 8; ++s) fleet_->join("server-" + std::to_string(s), 1.0);
    for (int i = 0; i < streams; ++i) fleet_->add_stream("stream-" + std::to_string(i), "", 1.0 + i % 5);
    fleet_->flush();
    leader_ = open(leader);
    ASSERT_TRUE(eventually([&] { return leader_->status().version >= 1; }));
    for (Engine* e : {fleet_.get(), follower_.get()}) e->wait_version(1, 10s);
    Backend::Latest first = backend_->fetch_latest(0);
    ASSERT_EQ(first.version, 1u);
    ASSERT_EQ(first.base_version, 0u);
    ASSERT_EQ(leader_->snapshot()->stream_count(), static_cast<uint64_t>(streams));
  }

  // Refreshes on the leader; returns the version and the base it was published on.
  Backend::Latest refresh() {
    leader_->refresh();
    uint64_t v = leader_->status().version;
    for (Engine* e : {fleet_.get(), follower_.get()}) e->wait_version(v, 10s);
    Backend::Latest latest = backend_->fetch_latest(0);
    EXPECT_EQ(latest.version, v);
    return latest;
  }

  // Every stream has the same owner on `a` and `b`.
  static void expect_agree(Engine& a, Engine& b, int streams) {
    for (int i = 0; i < streams; ++i) {
      std::string id = "stream-" + std::to_string(i);
      ASSERT_STREQ(a.lookup(id), b.lookup(id)) << id;
    }
  }

  PluginRegistry registry_;
  std::string policy_ = "sticky";
  std::string cluster_;
  std::unique_ptr<Backend> backend_;  // a plain instance of the cluster, to look at what is published
  std::unique_ptr<Engine> leader_, fleet_, follower_;
};

TEST_F(EngineDelta, ARefreshThatMovesFewStreamsIsPublishedAsADeltaAndFollowersApplyIt) {
  start(2000);
  Backend::Latest first = backend_->fetch_latest(0);
  EXPECT_EQ(first.base_version, 0u) << "the first publication is a checkpoint";

  for (int i = 0; i < 20; ++i) fleet_->report_load("stream-" + std::to_string(i * 7), 40.0);
  fleet_->add_stream("stream-new", "tenant-x", 2.0);
  fleet_->remove_stream("stream-3");
  fleet_->flush();
  Backend::Latest latest = refresh();
  EXPECT_EQ(latest.base_version, first.version) << "published as a delta on the checkpoint";
  EXPECT_LT(latest.bytes.size(), first.bytes.size() / 10);
  EXPECT_EQ(follower_->status().version, latest.version);
  EXPECT_EQ(follower_->metrics().snapshots_rejected, 0u);
  expect_agree(*leader_, *follower_, 2000);
  EXPECT_STREQ(leader_->lookup("stream-new"), follower_->lookup("stream-new"));
  EXPECT_EQ(follower_->snapshot()->stream_count(), 2000u);
  EXPECT_DOUBLE_EQ(follower_->snapshot()->balance.total_load, leader_->snapshot()->balance.total_load);
}

TEST_F(EngineDelta, AFollowerJoiningLateReadsTheCheckpointAndTheNewestDelta) {
  start(1000);
  uint64_t checkpoint = backend_->fetch_latest(0).version;
  for (int round = 0; round < 3; ++round) {
    fleet_->report_load("stream-" + std::to_string(round), 30.0);
    fleet_->flush();
    EXPECT_EQ(refresh().base_version, checkpoint) << "cumulative: every delta is on the checkpoint";
  }
  auto late = open({"late"});
  EXPECT_EQ(late->status().version, leader_->status().version) << "read at open: checkpoint + delta";
  EXPECT_EQ(late->metrics().snapshots_rejected, 0u);
  expect_agree(*leader_, *late, 1000);
}

TEST_F(EngineDelta, ACheckpointIsWrittenEveryNVersions) {
  start(500, {"leader", true, "3"});
  std::vector<uint64_t> bases;
  for (int round = 0; round < 6; ++round) {
    fleet_->report_load("stream-" + std::to_string(round), 25.0);
    fleet_->flush();
    bases.push_back(refresh().base_version);
  }
  // Version 1 is a checkpoint; 2 and 3 are on it; 4 is the next checkpoint; 5, 6 on it; 7 too.
  EXPECT_EQ(bases, (std::vector<uint64_t>{1, 1, 0, 4, 4, 0}));
  expect_agree(*leader_, *follower_, 500);
}

TEST_F(EngineDelta, ADeltaLargerThanTheRatioIsPublishedInFull) {
  start(500, {"leader", true, "64", "0.0001"});
  fleet_->report_load("stream-1", 25.0);
  fleet_->flush();
  EXPECT_EQ(refresh().base_version, 0u);
}

TEST_F(EngineDelta, RatioZeroMeansFullSnapshotsOnly) {
  start(500, {"leader", true, "64", "0"});
  fleet_->report_load("stream-1", 25.0);
  fleet_->flush();
  EXPECT_EQ(refresh().base_version, 0u);
}

TEST_F(EngineDelta, ABadDeltaIsRejectedAndFollowersKeepServingUntilAFullVersion) {
  start(300);
  fleet_->report_load("stream-1", 25.0);
  fleet_->flush();
  Backend::Latest good = refresh();
  ASSERT_NE(good.base_version, 0u);
  const char* before = follower_->lookup("stream-1");

  // Someone else leads now and publishes a delta on the checkpoint whose bytes are damaged.
  backend_->campaign();
  leader_->resign();
  ASSERT_TRUE(eventually([&] { return backend_->leadership().is_leader == 1; }));
  uint64_t epoch = backend_->leadership().epoch;
  std::string damaged = good.bytes;
  damaged.resize(damaged.size() / 2);
  backend_->publish_based(epoch, good.version + 1, good.base_version, damaged);
  ASSERT_TRUE(eventually([&] { return follower_->metrics().snapshots_rejected >= 1; }));
  EXPECT_EQ(follower_->status().version, good.version) << "still serving what it had";
  EXPECT_STREQ(follower_->lookup("stream-1"), before);

  // A node with nothing yet serves the readable checkpoint the bad delta was on.
  auto late = open({"late"});
  EXPECT_EQ(late->status().version, good.base_version);
  EXPECT_GE(late->metrics().snapshots_rejected, 1u);

  // The next full version reaches everyone.
  Snapshot full = bare_copy(*follower_->snapshot());
  full.meta.version = good.version + 2;
  full.meta.epoch = epoch;
  backend_->publish_based(epoch, full.meta.version, 0, encode_snapshot(full));
  for (Engine* e : {follower_.get(), late.get()}) e->wait_version(full.meta.version, 10s);
  expect_agree(*follower_, *late, 300);
}

TEST_F(EngineDelta, ADeltaWhoseBaseIsGoneIsRejectedCleanly) {
  start(300);
  fleet_->report_load("stream-1", 25.0);
  fleet_->flush();
  Backend::Latest good = refresh();
  ASSERT_NE(good.base_version, 0u);
  // A leader claims a base the follower cannot get: the backend refuses to publish it at all.
  backend_->campaign();
  leader_->resign();
  ASSERT_TRUE(eventually([&] { return backend_->leadership().is_leader == 1; }));
  try {
    backend_->publish_based(backend_->leadership().epoch, good.version + 1, 99,
                            good.bytes);
    ADD_FAILURE() << "published on a base that is not kept";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NOT_FOUND);
  }
  EXPECT_EQ(follower_->status().version, good.version);
}


TEST_F(EngineDelta, HashCheckpointsStoreOnlyExceptionsAndEveryNodeRebuildsTheRest) {
  policy_ = "hash";
  start(3000, {"leader", true, "3", "0.5"});  // a checkpoint every 3 versions (1 and 4 below), deltas between
  // A node configured with another policy still reads a hash cluster: it loads hash to rebuild.
  auto other = open({"other-policy"}, "least_load");
  other->wait_version(1, 10s);
  Backend::Latest first = backend_->fetch_latest(0);
  EXPECT_GE(test::stored_exceptions(first.bytes), 0) << "owners left implicit";
  expect_agree(*leader_, *follower_, 3000);
  expect_agree(*leader_, *other, 3000);

  // Heavy streams push others off their first choices: exceptions, sent as a delta.
  for (int i = 0; i < 40; ++i) fleet_->report_load("stream-" + std::to_string(i * 7), 300.0);
  fleet_->flush();
  Backend::Latest heavy = refresh();
  EXPECT_EQ(heavy.base_version, first.version) << "a delta on the implicit checkpoint";
  other->wait_version(heavy.version, 10s);
  expect_agree(*leader_, *follower_, 3000);
  expect_agree(*leader_, *other, 3000);

  // A server joins: the ring changes, and with it every node's rebuilt first choices.
  fleet_->join("server-8", 1.0);
  refresh();
  ASSERT_EQ(leader_->snapshot()->server_count(), 9u);
  Backend::Latest checkpoint = refresh();
  EXPECT_EQ(checkpoint.base_version, 0u) << "version 4 is a checkpoint";
  EXPECT_GT(test::stored_exceptions(checkpoint.bytes), 0) << "the heavy streams' neighbours are exceptions";
  auto late = open({"late"});
  for (Engine* e : {other.get(), late.get()}) e->wait_version(checkpoint.version, 10s);
  for (Engine* e : {follower_.get(), other.get(), late.get()}) {
    expect_agree(*leader_, *e, 3000);
    EXPECT_EQ(e->metrics().snapshots_rejected, 0u) << e->node_id();
  }
}

TEST_F(EngineDelta, ALeaderToldNotToWritesEveryOwnerForReadersFromBeforeImplicitOwners) {
  policy_ = "hash";
  fleet_ = open({"fleet"});
  for (int s = 0; s < 4; ++s) fleet_->join("server-" + std::to_string(s), 1.0);
  for (int i = 0; i < 500; ++i) fleet_->add_stream("stream-" + std::to_string(i), "", 1.0);
  fleet_->flush();
  leader_ = open({"leader", true}, "", false);
  ASSERT_TRUE(eventually([&] { return leader_->status().version >= 1; }));
  Backend::Latest first = backend_->fetch_latest(0);
  EXPECT_EQ(test::stored_exceptions(first.bytes), -1) << "every owner written";
  Snapshot read = decode_snapshot(first.bytes);  // no policy needed to read it
  EXPECT_EQ(read.owner, leader_->snapshot()->owner);
}

}  // namespace
}  // namespace berth::testing
