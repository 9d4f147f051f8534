// The leader's migration step (catalogue/migrations.h) through compute_refresh: migrations pin
// the write location and keep the source readable until the copy is done, the bounds and the
// interval hold, sealed servers hand their streams off and stay readable, deletion wins.
#include <gtest/gtest.h>

#include "catalogue/migrations.h"
#include "catalogue_fixture.h"
#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"

namespace berth::testing {
namespace {

using V = std::vector<std::string>;

class MigrationStep : public ::testing::Test {
 protected:
  MigrationStep() : r_({"a", "b", "c"}) {
    std::vector<IntakeRecord> adds;
    for (int i = 0; i < 6; ++i) adds.push_back(record(IntakeOp::add, "s" + std::to_string(i), "t", 1.0));
    r_.refresh(adds);
  }
  CatalogueRefresher r_;
};

TEST_F(MigrationStep, AMigrationWritesToTheDestinationAndReadsFromBothUntilTheCopyIsDone) {
  const std::string source = r_.owner_of("s0");
  const std::string dest = source == "c" ? "a" : "c";
  RefreshResult started = r_.refresh({record(IntakeOp::migrate, "s0", dest)});
  EXPECT_EQ(started.catalogue.started, 1u);
  catalogue::StreamLocation at = r_.locate("s0");
  EXPECT_EQ(at.status, CatalogueStatus::migrating);
  EXPECT_STREQ(at.owner, dest.c_str());
  EXPECT_STREQ(at.source, source.c_str());
  EXPECT_STREQ(at.destination, dest.c_str());
  EXPECT_EQ(r_.reads("s0"), (V{std::min(source, dest), std::max(source, dest)}));

  r_.refresh({});  // nothing heard: it stays migrating, pinned to the destination
  EXPECT_EQ(r_.locate("s0").status, CatalogueStatus::migrating);
  EXPECT_EQ(r_.owner_of("s0"), dest);

  RefreshResult done = r_.refresh({record(IntakeOp::migration_done, "s0", dest)});
  EXPECT_EQ(done.catalogue.done, 1u);
  at = r_.locate("s0");
  EXPECT_EQ(at.status, CatalogueStatus::active);
  EXPECT_EQ(r_.owner_of("s0"), dest);
  EXPECT_EQ(r_.reads("s0"), V{dest});
}

TEST_F(MigrationStep, AFailedCopyKeepsTheStreamMigratingWithReadsFromBoth) {
  const std::string source = r_.owner_of("s1");
  const std::string dest = source == "c" ? "a" : "c";
  r_.refresh({record(IntakeOp::migrate, "s1", dest)});
  RefreshResult failed = r_.refresh({record(IntakeOp::migration_failed, "s1", dest)});
  EXPECT_EQ(failed.catalogue.failed, 1u);
  EXPECT_EQ(r_.locate("s1").status, CatalogueStatus::migrating);
  EXPECT_EQ(r_.reads("s1"), (V{std::min(source, dest), std::max(source, dest)}));
  EXPECT_EQ(r_.now().catalogue->migration_of("s1")->failures, 1u);
  r_.refresh({record(IntakeOp::migration_done, "s1", dest)});
  EXPECT_EQ(r_.reads("s1"), V{dest});
}

TEST_F(MigrationStep, ABadRequestIsRefusedAndChangesNothing) {
  const std::string source = r_.owner_of("s2");
  auto before = r_.shared();
  RefreshResult r = r_.refresh({record(IntakeOp::migrate, "nope", "a"), record(IntakeOp::migrate, "s2", "zz"),
                                record(IntakeOp::migrate, "s2", source), record(IntakeOp::migration_done, "s2", "a"),
                                record(IntakeOp::purged, "s2", "a")});
  EXPECT_EQ(r.catalogue.rejected, 5u);
  EXPECT_EQ(r_.now().catalogue, nullptr);
  EXPECT_EQ(r_.owner_of("s2"), source);
  r_.set_state("c", BERTH_SERVER_DRAINING);
  if (source != "c") {
    RefreshResult down = r_.refresh({record(IntakeOp::migrate, "s2", "c")});
    EXPECT_EQ(down.catalogue.rejected, 1u) << "a destination that is not up";
  }
}

TEST_F(MigrationStep, AStreamIsNotMigratedAgainWithinTheInterval) {
  r_.settings_.migration_interval_ms = 5000;
  const std::string source = r_.owner_of("s3");
  const std::string dest = source == "c" ? "a" : "c";
  r_.refresh({record(IntakeOp::migrate, "s3", dest)}, 1000000);
  r_.refresh({record(IntakeOp::migration_done, "s3", dest)}, 1001000);
  RefreshResult soon = r_.refresh({record(IntakeOp::migrate, "s3", source)}, 1005999);
  EXPECT_EQ(soon.catalogue.rejected, 1u);
  EXPECT_EQ(r_.owner_of("s3"), dest);
  RefreshResult later = r_.refresh({record(IntakeOp::migrate, "s3", source)}, 1006000);
  EXPECT_EQ(later.catalogue.started, 1u);
  EXPECT_EQ(r_.owner_of("s3"), source);
}

TEST_F(MigrationStep, MigrationsBeyondTheBoundsQueueInOrderAndStartAsOthersFinish) {
  r_.settings_.max_migrations = 2;
  std::vector<IntakeRecord> asks;
  std::vector<std::string> dest(6);
  for (int i = 0; i < 6; ++i) {
    std::string s = "s" + std::to_string(i);
    std::string src = r_.owner_of(s);
    dest[i] = src == "a" ? "b" : "a";
    asks.push_back(record(IntakeOp::migrate, s, dest[i]));
  }
  r_.refresh(asks);
  const CatalogueEntries& c = *r_.now().catalogue;
  ASSERT_EQ(c.migrations.size(), 2u);
  EXPECT_EQ(c.migrations[0].stream, "s0");
  EXPECT_EQ(c.migrations[1].stream, "s1");
  ASSERT_EQ(c.queued.size(), 4u);
  EXPECT_EQ(c.queued[0].stream, "s2");
  EXPECT_FALSE(r_.locate("s2").status == CatalogueStatus::migrating);
  EXPECT_TRUE(r_.locate("s2").queued);
  r_.refresh({record(IntakeOp::migration_done, "s0", dest[0])});
  ASSERT_EQ(r_.now().catalogue->migrations.size(), 2u);
  EXPECT_EQ(r_.now().catalogue->migrations[1].stream, "s2") << "the queue starts in the order asked";
}

TEST_F(MigrationStep, APerServerBoundLeavesOtherServersMigrating) {
  r_.settings_.max_migrations_per_server = 1;
  std::vector<IntakeRecord> asks;
  for (int i = 0; i < 6; ++i) {
    std::string s = "s" + std::to_string(i);
    if (r_.owner_of(s) != "c") asks.push_back(record(IntakeOp::migrate, s, "c"));
  }
  ASSERT_GE(asks.size(), 2u);
  r_.refresh(asks);
  EXPECT_EQ(r_.now().catalogue->migrations.size(), 1u) << "c is the destination of each: one at a time";
  EXPECT_EQ(r_.now().catalogue->queued.size(), asks.size() - 1);
}

TEST_F(MigrationStep, AMigrationToAServerThatLeavesIsCancelledAndTheSourceWritesAgain) {
  const std::string source = r_.owner_of("s4");
  const std::string dest = source == "c" ? "a" : "c";
  r_.refresh({record(IntakeOp::migrate, "s4", dest)});
  r_.remove_server(dest);
  RefreshResult r = r_.refresh({});
  EXPECT_EQ(r.catalogue.cancelled, 1u);
  EXPECT_EQ(r_.locate("s4").status, CatalogueStatus::active);
  EXPECT_EQ(r_.owner_of("s4"), source);
}

TEST_F(MigrationStep, ThePolicyChoosesADestinationOtherThanTheSource) {
  const std::string source = r_.owner_of("s5");
  r_.refresh({record(IntakeOp::migrate, "s5", "")});
  catalogue::StreamLocation at = r_.locate("s5");
  ASSERT_EQ(at.status, CatalogueStatus::migrating);
  EXPECT_STRNE(at.owner, source.c_str());
  EXPECT_STREQ(at.source, source.c_str());
}

TEST_F(MigrationStep, DeletionWinsOverARunningMigrationAndEveryLocationIsToPurge) {
  const std::string source = r_.owner_of("s0");
  const std::string dest = source == "c" ? "a" : "c";
  r_.refresh({record(IntakeOp::migrate, "s0", dest)});
  RefreshResult del = r_.refresh({record(IntakeOp::remove, "s0"), record(IntakeOp::delete_stream, "s0")});
  EXPECT_EQ(del.catalogue.deleted, 1u);
  catalogue::StreamLocation at = r_.locate("s0");
  EXPECT_FALSE(at.known);
  EXPECT_EQ(at.status, CatalogueStatus::deleting);
  EXPECT_EQ(at.owner, nullptr);
  V both{std::min(source, dest), std::max(source, dest)};
  EXPECT_EQ(r_.purges("s0"), both);
  EXPECT_EQ(CatalogueRefresher::names(at.read_locations), both);
  EXPECT_EQ(r_.now().catalogue->migration_of("s0"), nullptr);
  RefreshResult late = r_.refresh({record(IntakeOp::migration_done, "s0", dest), record(IntakeOp::seen, "s0"),
                                   record(IntakeOp::migrate, "s0", "b")});
  EXPECT_EQ(late.catalogue.rejected, 2u);
  EXPECT_FALSE(r_.present("s0"));
  r_.refresh({record(IntakeOp::purged, "s0", source)});
  EXPECT_EQ(r_.purges("s0"), V{dest});
  r_.refresh({record(IntakeOp::purged, "s0", dest)});
  EXPECT_EQ(r_.locate("s0").status, CatalogueStatus::active) << "purged everywhere: an unknown stream again";
  EXPECT_FALSE(r_.present("s0"));
}

TEST_F(MigrationStep, AnAddHeardAfterADeletionInOneRefreshKeepsTheStreamAndItsData) {
  const std::string owner = r_.owner_of("s0");
  RefreshResult r = r_.refresh({record(IntakeOp::remove, "s0"), record(IntakeOp::delete_stream, "s0"),
                                record(IntakeOp::add, "s0", "", 1.0)});
  EXPECT_TRUE(r_.present("s0"));
  EXPECT_EQ(r.catalogue.deleted, 0u);
  EXPECT_EQ(r.catalogue.rejected, 1u);
  EXPECT_TRUE(r_.purges("s0").empty()) << "no purge of the live stream's data at " << owner;
  EXPECT_EQ(r_.locate("s0").status, CatalogueStatus::active);
}

TEST_F(MigrationStep, APurgeAtAServerThatLeavesIsDropped) {
  const std::string owner = r_.owner_of("s1");
  r_.refresh({record(IntakeOp::remove, "s1"), record(IntakeOp::delete_stream, "s1")});
  EXPECT_EQ(r_.purges("s1"), V{owner});
  r_.remove_server(owner);
  r_.refresh({});
  EXPECT_TRUE(r_.purges("s1").empty());
}

TEST_F(MigrationStep, ASealedServersStreamsGetANewWriteLocationAndKeepItAsAReadLocation) {
  std::vector<std::string> on_a;
  for (int i = 0; i < 6; ++i)
    if (r_.owner_of("s" + std::to_string(i)) == "a") on_a.push_back("s" + std::to_string(i));
  ASSERT_FALSE(on_a.empty());
  r_.set_state("a", BERTH_SERVER_READ_ONLY);
  r_.refresh({});
  EXPECT_EQ(r_.now().servers->state[0], BERTH_SERVER_READ_ONLY) << "the published state stays read-only";
  for (const std::string& s : on_a) {
    EXPECT_NE(r_.owner_of(s), "a") << s;
    std::vector<std::string> reads = r_.reads(s);
    EXPECT_EQ(reads.size(), 2u) << s;
    EXPECT_EQ(reads.front(), "a") << s;
  }
  r_.set_state("a", BERTH_SERVER_UP);
  r_.refresh({});
  for (const std::string& s : on_a) EXPECT_EQ(r_.reads(s).size(), 1u) << "an unsealed server is no read location";
}

TEST(MigrationPolicyStates, SealedServersDrainForThePolicyOnlyWhileAServerIsUp) {
  ServerColumns servers;
  for (const char* id : {"a", "b", "c"}) {
    servers.ids.push_back(id);
    servers.capacity.push_back(1.0);
  }
  servers.state = {BERTH_SERVER_READ_ONLY, BERTH_SERVER_UP, BERTH_SERVER_DRAINING};
  EXPECT_EQ(catalogue::policy_states(servers),
            (std::vector<int32_t>{BERTH_SERVER_DRAINING, BERTH_SERVER_UP, BERTH_SERVER_DRAINING}));
  servers.state = {BERTH_SERVER_READ_ONLY, BERTH_SERVER_READ_ONLY, BERTH_SERVER_DRAINING};
  EXPECT_TRUE(catalogue::policy_states(servers).empty()) << "with nowhere else to write, sealed servers keep their streams";
  servers.state = {BERTH_SERVER_UP, BERTH_SERVER_UP, BERTH_SERVER_DRAINING};
  EXPECT_TRUE(catalogue::policy_states(servers).empty());
}

TEST_F(MigrationStep, TheCatalogueTravelsInFullSnapshotsAndDeltaHeads) {
  const std::string source = r_.owner_of("s0");
  const std::string dest = source == "c" ? "a" : "c";
  auto base = r_.shared();
  r_.refresh({record(IntakeOp::migrate, "s0", dest), record(IntakeOp::migrate, "s1", ""),
              record(IntakeOp::remove, "s2"), record(IntakeOp::delete_stream, "s2")});
  const Snapshot& next = r_.now();
  ASSERT_NE(next.catalogue, nullptr);
  Snapshot full = decode_snapshot(encode_snapshot(next));
  ASSERT_NE(full.catalogue, nullptr);
  EXPECT_EQ(full.catalogue->migrations, next.catalogue->migrations);
  EXPECT_EQ(full.catalogue->purges, next.catalogue->purges);
  std::optional<std::string> delta = encode_delta(*base, next, SIZE_MAX);
  ASSERT_TRUE(delta.has_value());
  Snapshot applied = apply_delta(*base, decode_delta(*delta));
  ASSERT_NE(applied.catalogue, nullptr);
  EXPECT_EQ(applied.catalogue->migrations, next.catalogue->migrations);
  EXPECT_EQ(applied.catalogue->purges, next.catalogue->purges);
  ASSERT_NE(applied.catalogue->migration_of("s0"), nullptr);
}

TEST_F(MigrationStep, ACatalogueWithAStreamMigratingTwiceDoesNotDecode) {
  const std::string source = r_.owner_of("s0");
  r_.refresh({record(IntakeOp::migrate, "s0", source == "c" ? "a" : "c")});
  Snapshot copy = decode_snapshot(encode_snapshot(r_.now()));
  auto twice = std::make_shared<CatalogueEntries>(*copy.catalogue);
  twice->queued.push_back(QueuedMigration{"s0", ""});
  copy.catalogue = twice;
  EXPECT_THROW(decode_snapshot(encode_snapshot(copy)), Error);
}

}  // namespace
}  // namespace berth::testing
