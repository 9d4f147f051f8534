// Why a stream is where it is (catalogue/placement_why.h): one test per kind of answer, on
// versions the leader's refresh builds (catalogue_fixture.h) and, for a hand-off, an engine.
#include <gtest/gtest.h>

#include <cstdio>

#include "catalogue/placement_why.h"
#include "common/hash.h"
#include "catalogue_fixture.h"
#include "engine/engine_fixture.h"

namespace berth::testing {
namespace {

using catalogue::Decision;
using catalogue::explain_placement;

std::vector<IntakeRecord> adds(int n) {
  std::vector<IntakeRecord> out;
  for (int i = 0; i < n; ++i) out.push_back(record(IntakeOp::add, "s" + std::to_string(i), "t", 1.0));
  return out;
}

TEST(PlacementWhy, AnUnknownStreamIsWhereALookupGoesAndADeletedOneIsToPurge) {
  CatalogueRefresher r({"a", "b", "c"});
  r.refresh(adds(6));
  catalogue::PlacementWhy why = explain_placement(r.now(), "never-added", nullptr);
  EXPECT_EQ(why.decision, Decision::unknown);
  EXPECT_NE(why.detail.find("a lookup places it at '" + r.owner_of("never-added") + "'"), std::string::npos) << why.detail;
  r.refresh({record(IntakeOp::remove, "s1"), record(IntakeOp::delete_stream, "s1")});
  EXPECT_EQ(explain_placement(r.now(), "s1", nullptr).decision, Decision::deleted);
}

TEST(PlacementWhy, AStreamIsPlacedWhereANewOneGoesOrKeptElsewhere) {
  CatalogueRefresher r({"a", "b"});
  r.refresh(adds(40));
  int placed = 0, kept = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string s = "s" + std::to_string(i);
    catalogue::PlacementWhy why = explain_placement(r.now(), s, nullptr);
    placed += why.decision == Decision::placed;
    kept += why.decision == Decision::kept;
    const uint32_t fresh = r.now().placer->place(stream_hash(s), kNoLoad);
    EXPECT_EQ(why.decision == Decision::placed, r.now().server_name[fresh] == r.owner_of(s)) << s << ": " << why.detail;
  }
  EXPECT_EQ(placed + kept, 40);
  std::printf("placement why: %d placed where a new stream goes, %d kept elsewhere\n", placed, kept);
}

TEST(PlacementWhy, AnOperatorsMigrationRunsQueuesAndFinishes) {
  CatalogueRefresher r({"a", "b", "c"});
  r.settings_.max_migrations = 1;
  r.refresh(adds(6));
  const std::string to0 = r.owner_of("s0") == "a" ? "b" : "a";
  const std::string to1 = r.owner_of("s1") == "c" ? "b" : "c";
  r.refresh({record(IntakeOp::migrate, "s0", to0), record(IntakeOp::migrate, "s1", to1)});
  catalogue::PlacementWhy why = explain_placement(r.now(), "s0", nullptr);
  EXPECT_EQ(why.decision, Decision::migrating) << why.detail;
  EXPECT_NE(why.detail.find("as an operator asked"), std::string::npos) << why.detail;
  EXPECT_EQ(explain_placement(r.now(), "s1", nullptr).decision, Decision::queued);
  r.refresh({record(IntakeOp::migration_done, "s0", to0)});
  why = explain_placement(r.now(), "s0", nullptr);
  EXPECT_EQ(why.decision, Decision::migrating);
  EXPECT_NE(why.detail.find("finished"), std::string::npos) << why.detail;
}

TEST(PlacementWhy, AStreamOfAServerMarkedForDataMigrationIsMigratingOutOrWaitingTo) {
  CatalogueRefresher r({"a", "b", "c"});
  r.refresh(adds(30));
  r.settings_.max_migrations_per_server = 1;
  r.settings_.migrate_out = {"a"};
  r.set_state("a", BERTH_SERVER_DRAINING);  // as the engine publishes a marked server
  r.refresh({});
  Snapshot marked = r.now();
  auto ops = std::make_shared<OperatorServers>();
  OperatorServer a;
  a.id = "a";
  a.migrate = true;
  ops->servers.push_back(a);
  marked.operator_servers = ops;
  int out = 0, waiting = 0;
  for (int i = 0; i < 30; ++i) {
    catalogue::PlacementWhy why = explain_placement(marked, "s" + std::to_string(i), nullptr);
    if (why.decision != Decision::migrating_out) continue;
    (why.detail.find("waiting") != std::string::npos ? waiting : out) += 1;
  }
  EXPECT_EQ(out, 1) << "one migration out of 'a' at a time";
  EXPECT_GT(waiting, 0);
}

TEST(PlacementWhy, AStreamMovedOffASealedServerSaysWhereItIsStillRead) {
  CatalogueRefresher r({"a", "b", "c"});
  r.refresh(adds(12));
  std::string on_b;
  for (int i = 0; i < 12 && on_b.empty(); ++i)
    if (r.owner_of("s" + std::to_string(i)) == "b") on_b = "s" + std::to_string(i);
  ASSERT_FALSE(on_b.empty());
  r.set_state("b", BERTH_SERVER_READ_ONLY);
  r.refresh({});
  catalogue::PlacementWhy why = explain_placement(r.now(), on_b, nullptr);
  EXPECT_EQ(why.decision, Decision::moved_off_sealed) << why.detail;
  EXPECT_NE(why.detail.find("'b'"), std::string::npos) << why.detail;
}

TEST(PlacementWhy, TheRuleThatSetAStreamsServersIsNamedWithWhatItAllows) {
  CatalogueRefresher r({"a", "b", "c"});
  r.refresh(adds(6));
  const std::string at = r.owner_of("s2");  // pinned where it is written, so the answer is always pinned
  auto pin = rules::RuleSet::compile("why.lua", "pin(\"s2\", \"" + at + "\")\n");
  catalogue::PlacementWhy why = explain_placement(r.now(), "s2", pin.get());
  EXPECT_TRUE(why.rules_evaluated);
  EXPECT_EQ(why.rule, "why.lua:1");
  EXPECT_EQ(why.allowed, std::vector<std::string>{at});
  EXPECT_EQ(why.decision, Decision::pinned) << why.detail;

  auto tenant = rules::RuleSet::compile("tenant.lua", "-- the tenant's servers\ntenant(\"t\", function(t) t:allow { \"a\", \"b\" } end)\n");
  why = explain_placement(r.now(), "s3", tenant.get());
  EXPECT_EQ(why.rule, "tenant.lua:2");
  EXPECT_EQ(why.allowed, (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(why.decision, Decision::pinned);

  why = explain_placement(r.now(), "s3", nullptr);
  EXPECT_FALSE(why.rules_evaluated);
  std::string note;
  EXPECT_EQ(catalogue::rules_of(r.now(), nullptr, note), nullptr);
  EXPECT_EQ(note, "no tenant rules placed this version");
}

class PlacementWhyEngine : public ClusterFixture {};

TEST_F(PlacementWhyEngine, AStreamOfADrainedServerIsHandedOffFromIt) {
  start(1, NodeSpec{"", "memory", true, "sticky"});
  add_served_servers(3);
  add_streams(12);
  refresh_and_converge();
  refresh_and_converge();  // granted: every stream held where it is written
  Engine& l = leader();
  std::string on_1;
  for (int i = 0; i < 12 && on_1.empty(); ++i) {
    catalogue::StreamLocation at = l.locate("stream-" + std::to_string(i));
    if (std::string(at.owner) == "server-1" && at.holder != nullptr) on_1 = "stream-" + std::to_string(i);
  }
  ASSERT_FALSE(on_1.empty());
  fleet_->drain("server-1", true);
  refresh_and_converge();
  catalogue::PlacementWhy why = explain_placement(*l.snapshot(), on_1, nullptr);
  EXPECT_EQ(why.decision, Decision::handing_off) << why.detail;
  EXPECT_NE(why.detail.find("'server-1' is draining"), std::string::npos) << why.detail;
}

}  // namespace
}  // namespace berth::testing
