// Holders' releases through the intake (engine/intake.h): the record, PendingChanges' list of
// them, the refresh that hands them to the grant step, and a leader that hands them back.
#include <gtest/gtest.h>

#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/intake.h"
#include "engine/intake_ledger.h"
#include "engine/pending_changes.h"
#include "engine/refresh.h"
#include "engine_fixture.h"
#include "plugin/loader.h"

namespace berth::testing {
namespace {

constexpr double kNoLoad = std::numeric_limits<double>::quiet_NaN();

TEST(IntakeRelease, TokensRoundTripExactlyBesideTheOtherOps) {
  // Tokens whose bits read as a double would be NaNs (signalling and quiet) or denormal.
  const std::vector<uint64_t> tokens = {1, 42, UINT64_MAX, 0x7FF0000000000001, 0xFFF8000000000000, 0x0000000000000003};
  std::string batch;
  append_intake(batch, IntakeOp::add, "s1", "gold", 2.5);
  for (uint64_t t : tokens) append_release(batch, "s1", "server-a", t);
  append_intake(batch, IntakeOp::report, "s2", "", 3.0);
  std::vector<IntakeRecord> records = parse_intake(batch);
  ASSERT_EQ(records.size(), tokens.size() + 2);
  EXPECT_EQ(records[0].op, IntakeOp::add);
  EXPECT_EQ(records[0].tenant, "gold");
  EXPECT_EQ(records[0].load, 2.5);
  EXPECT_EQ(records[0].token, 0u);
  for (size_t k = 0; k < tokens.size(); ++k) {
    const IntakeRecord& r = records[k + 1];
    EXPECT_EQ(r.op, IntakeOp::release);
    EXPECT_EQ(r.stream, "s1");
    EXPECT_EQ(r.tenant, "server-a");
    EXPECT_EQ(r.token, tokens[k]);
    EXPECT_TRUE(std::isnan(r.load));
  }
  EXPECT_EQ(records.back().op, IntakeOp::report);
  EXPECT_EQ(records.back().load, 3.0);
}

TEST(IntakeRelease, TheRecordLayoutIsTheOtherOpsWithTheTokenInTheLoadsPlace) {
  std::string expected("BI1\x05\x02\x00\x00\x00s9\x01\x00\x00\x00" "a\x08\x07\x06\x05\x04\x03\x02\x01", 23);
  std::string batch;
  append_release(batch, "s9", "a", 0x0102030405060708);
  EXPECT_EQ(batch, expected);
}

TEST(IntakeRelease, MalformedReleasesNameTheRecordAndTheField) {
  std::string batch;
  append_intake(batch, IntakeOp::add, "s1", "", 1.0);
  append_release(batch, "s1", "a", 7);
  try {
    parse_intake(batch.substr(0, batch.size() - 3));
    FAIL() << "a truncated token was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("record #1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("token"), std::string::npos) << e.what();
  }
  std::string unknown = batch;
  unknown[3 + 1 + 4 + 2 + 4 + 0 + 8] = kLastIntakeOp + 1;  // the second record's op
  const std::string op = "unknown op " + std::to_string(kLastIntakeOp + 1);
  try {
    parse_intake(unknown);
    FAIL() << op << " was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(op), std::string::npos) << e.what();
  }
  std::string ignored;
  EXPECT_THROW(append_intake(ignored, IntakeOp::release, "s1", "a", 1.0), Error);
}

TEST(IntakeRelease, PendingChangesKeepReleasesApartFromStreamChanges) {
  PendingChanges pending;
  EXPECT_TRUE(pending.empty());
  pending.apply({IntakeOp::release, "s1", "a", kNoLoad, 3});
  pending.apply({IntakeOp::release, "s1", "a", kNoLoad, 3});  // duplicates are the step's to ignore
  pending.apply({IntakeOp::release, "gone", "b", kNoLoad, 9});
  EXPECT_FALSE(pending.empty());
  EXPECT_TRUE(pending.no_stream_changes());
  EXPECT_TRUE(pending.all().empty());
  EXPECT_TRUE(pending.order().empty());
  ASSERT_EQ(pending.releases().size(), 3u);
  EXPECT_EQ(pending.releases()[2].stream, "gone");
  EXPECT_EQ(pending.releases()[2].server, "b");
  EXPECT_EQ(pending.releases()[2].token, 9u);
  pending.apply({IntakeOp::add, "s2", "t", 1.0});
  EXPECT_FALSE(pending.no_stream_changes());
  pending.clear();
  EXPECT_TRUE(pending.empty());
  EXPECT_TRUE(pending.releases().empty());
}

// The leader's refresh alone, with the least_load policy.
class ReleaseRefresh : public ::testing::Test {
 protected:
  std::shared_ptr<ServerColumns> servers(std::initializer_list<const char*> ids) {
    auto out = std::make_shared<ServerColumns>();
    for (const char* id : ids) {
      out->ids.push_back(id);
      out->capacity.push_back(1.0);
      out->state.push_back(BERTH_SERVER_UP);
      out->incarnation.push_back(1);
    }
    return out;
  }
  RefreshResult step(const Snapshot* base, std::shared_ptr<const ServerColumns> members, const PendingChanges& pending,
                     bool soft = false) {
    Provenance meta;
    meta.version = base != nullptr ? base->meta.version + 1 : 1;
    return compute_refresh(base, std::move(members), pending, appraiser_, *policy_, meta, names_, nullptr, soft);
  }

  PluginRegistry registry_;
  Appraiser appraiser_{registry_.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {})};
  std::shared_ptr<Policy> policy_ =
      std::make_shared<Policy>(registry_.load(BERTH_PLUGIN_POLICY, "least_load"), PluginConfig("policy", {}));
  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
};

TEST_F(ReleaseRefresh, AMovedStreamChangesHolderOnlyOnceItsReleaseArrives) {
  PendingChanges adds;
  for (int i = 0; i < 12; ++i) adds.apply({IntakeOp::add, "s" + std::to_string(i), "", 1.0});
  RefreshResult v1 = step(nullptr, servers({"a", "b"}), adds);
  EXPECT_EQ(v1.ownership.granted, 12u) << "without a base every stream is granted to its owner";
  ASSERT_EQ(v1.snapshot->holder, v1.snapshot->owner);
  EXPECT_EQ(v1.snapshot->token, std::vector<uint64_t>(12, 1));

  RefreshResult v2 = step(v1.snapshot.get(), servers({"a", "b", "c"}), PendingChanges{});
  const Snapshot& s2 = *v2.snapshot;
  ASSERT_GT(v2.moved_streams, 0u);
  EXPECT_EQ(v2.ownership.handoffs_started, v2.moved_streams);
  EXPECT_EQ(v2.ownership.releasing, v2.moved_streams);
  EXPECT_EQ(v2.ownership.granted, 0u);
  PendingChanges releases;
  for (uint64_t i = 0; i < s2.stream_count(); ++i) {
    EXPECT_EQ(s2.token[i], 1u);
    if (s2.holder[i] != s2.owner[i])
      releases.apply({IntakeOp::release, std::string(s2.streams->ids.at(i)), std::string(s2.servers->ids.at(s2.holder[i])),
                      kNoLoad, s2.token[i]});
  }

  RefreshResult v3 = step(&s2, s2.servers, releases);
  const Snapshot& s3 = *v3.snapshot;
  EXPECT_EQ(v3.ownership.handoffs_completed, v2.moved_streams);
  EXPECT_EQ(v3.ownership.granted, v2.moved_streams);
  EXPECT_EQ(v3.ownership.releasing, 0u);
  EXPECT_EQ(v3.ownership.releases_ignored, 0u);
  EXPECT_EQ(s3.holder, s3.owner);
  for (uint64_t i = 0; i < s3.stream_count(); ++i) EXPECT_EQ(s3.token[i], s2.holder[i] != s2.owner[i] ? 3u : 1u);

  RefreshResult v4 = step(&s3, s3.servers, releases);  // heard again: late
  EXPECT_EQ(v4.ownership.releases_ignored, releases.releases().size());
  EXPECT_EQ(v4.snapshot->token, s3.token);
}

TEST_F(ReleaseRefresh, SoftHandOffGrantsMovedStreamsAtOnce) {
  PendingChanges adds;
  for (int i = 0; i < 12; ++i) adds.apply({IntakeOp::add, "s" + std::to_string(i), "", 1.0});
  RefreshResult v1 = step(nullptr, servers({"a", "b"}), adds);
  RefreshResult v2 = step(v1.snapshot.get(), servers({"a", "b", "c"}), PendingChanges{}, /*soft=*/true);
  ASSERT_GT(v2.moved_streams, 0u);
  EXPECT_EQ(v2.ownership.granted, v2.moved_streams);
  EXPECT_EQ(v2.snapshot->holder, v2.snapshot->owner);
}

// A leader that stops leading, or folds its records after a failed refresh, hands its releases on.
class ReleaseIntake : public ::testing::Test {
 protected:
  ReleaseIntake()
      : backend_(registry_.load(BERTH_PLUGIN_BACKEND, "memory"),
                 PluginConfig("backend", {{"cluster", unique_cluster("release-intake"), "test"}}), nullptr) {
    backend_.campaign();
  }
  void submit_release(const std::string& stream, uint64_t token) {
    std::string batch;
    append_release(batch, stream, "server-a", token);
    backend_.submit(batch);
  }

  PluginRegistry registry_;
  Backend backend_;
  std::mutex mutex_;
  BackendRef ref_{backend_, mutex_};
};

TEST_F(ReleaseIntake, ReleasesGivenBackReachTheNextLeader) {
  ASSERT_TRUE(eventually([&] { return backend_.leadership().is_leader == 1; }));
  submit_release("s1", 0xFFF8000000000001);
  IntakeLedger old_leader(false, "old-leader");
  ASSERT_EQ(old_leader.take(ref_, 1), 0u);
  ASSERT_EQ(old_leader.pending().releases().size(), 1u);
  old_leader.give_back(ref_);
  EXPECT_TRUE(old_leader.pending().empty());
  IntakeLedger next_leader(false, "next-leader");
  ASSERT_EQ(next_leader.take(ref_, 2), 0u);
  ASSERT_EQ(next_leader.pending().releases().size(), 1u);
  EXPECT_EQ(next_leader.pending().releases()[0].stream, "s1");
  EXPECT_EQ(next_leader.pending().releases()[0].server, "server-a");
  EXPECT_EQ(next_leader.pending().releases()[0].token, 0xFFF8000000000001);
}

TEST_F(ReleaseIntake, ReleasesSurviveAFold) {
  ASSERT_TRUE(eventually([&] { return backend_.leadership().is_leader == 1; }));
  ASSERT_TRUE(backend_.supports_intake_keys());
  for (uint64_t t = 1; t <= 300; ++t) submit_release("s" + std::to_string(t % 7), t);  // enough to fold
  IntakeLedger leader(true, "leader");
  ASSERT_EQ(leader.take(ref_, 1), 0u);
  leader.failed(ref_);
  ASSERT_EQ(leader.take(ref_, 1), 0u);
  ASSERT_EQ(leader.pending().releases().size(), 300u);
  EXPECT_EQ(leader.pending().releases().back().token, 300u);
}

TEST_F(ReleaseIntake, TheLedgerRecordsAReleaseWithItsToken) {
  IntakeLedger node(false, "node");
  EXPECT_THROW(node.record(IntakeOp::release, "s1", "server-a", 1.0), Error) << "a release without its token";
  EXPECT_FALSE(node.flush_due(std::chrono::milliseconds(0))) << "the refused record left something to flush";
  EXPECT_TRUE(node.record_release("s1", "server-a", UINT64_MAX));
  node.flush(ref_);
  IntakeLedger leader(false, "leader");
  ASSERT_TRUE(eventually([&] { return backend_.leadership().is_leader == 1; }));
  ASSERT_EQ(leader.take(ref_, 1), 0u);
  ASSERT_EQ(leader.pending().releases().size(), 1u);
  EXPECT_EQ(leader.pending().releases()[0].token, UINT64_MAX);
}


// A leader of an earlier release refuses a batch with an op it does not know as a whole: the
// stream changes and releases a node records around a catalogue record must not share its batch.
TEST_F(ReleaseIntake, CatalogueRecordsTravelInBatchesOfTheirOwn) {
  ASSERT_TRUE(eventually([&] { return backend_.leadership().is_leader == 1; }));
  IntakeLedger node(false, "node");
  node.record(IntakeOp::add, "s1", "", 1.0);
  node.record(IntakeOp::server_set, "srv-1", "settings", std::numeric_limits<double>::quiet_NaN());
  node.record_release("s2", "server-a", 7);
  node.record(IntakeOp::add, "s3", "", 1.0);
  node.flush(ref_);
  std::vector<std::vector<IntakeOp>> batches;
  for (const auto& [key, bytes] : backend_.peek_intake()) {
    batches.emplace_back();
    for (const IntakeRecord& r : parse_intake(bytes)) batches.back().push_back(r.op);
  }
  const std::vector<std::vector<IntakeOp>> expected{
      {IntakeOp::add}, {IntakeOp::server_set}, {IntakeOp::release, IntakeOp::add}};
  EXPECT_EQ(batches, expected);
}

TEST(IntakeRelease, CatalogueRecordsTravelAndStayApartFromStreamChanges) {
  std::string batch;
  append_intake(batch, IntakeOp::server_set, "srv-1", "settings", std::numeric_limits<double>::quiet_NaN());
  append_intake(batch, IntakeOp::migrate, "s1", "srv-2", std::numeric_limits<double>::quiet_NaN());
  PendingChanges pending;
  for (const IntakeRecord& r : parse_intake(batch)) pending.apply(r);
  EXPECT_TRUE(pending.no_stream_changes());
  EXPECT_FALSE(pending.empty());
  ASSERT_EQ(pending.catalogue().size(), 2u);
  EXPECT_EQ(pending.catalogue()[0].op, IntakeOp::server_set);
  EXPECT_EQ(pending.catalogue()[1].stream, "s1");
  EXPECT_EQ(pending.catalogue()[1].tenant, "srv-2");
  pending.clear();
  EXPECT_TRUE(pending.empty());
}

}  // namespace
}  // namespace berth::testing
