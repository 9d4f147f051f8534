// The catalogue through engines on one memory cluster: a follower's locate agrees with the
// leader's, changes sent from any node reach the leader, and a new leader keeps every migration
// and every purge the last one published.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/engine_fixture.h"
#include "snapshot/catalogue_entries.h"

namespace berth::testing {
namespace {

std::vector<std::string> reads_of(const catalogue::StreamLocation& at) {
  std::vector<std::string> out(at.read_locations.begin(), at.read_locations.end());
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same(const catalogue::StreamLocation& a, const catalogue::StreamLocation& b, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.known, b.known);
  EXPECT_EQ(std::string(a.owner ? a.owner : ""), std::string(b.owner ? b.owner : ""));
  EXPECT_EQ(reads_of(a), reads_of(b));
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.tenant, b.tenant);
}

class CatalogueCluster : public ClusterFixture {
 protected:
  static NodeSpec sticky() {
    NodeSpec spec;
    spec.policy = "sticky";
    return spec;
  }
  Engine& follower() {
    Engine& l = leader();
    for (auto& n : nodes_)
      if (n.get() != &l) return *n;
    return l;
  }
};

TEST_F(CatalogueCluster, AFollowersLocateAgreesWithTheLeadersThroughAMigrationAndADeletion) {
  start(2, sticky());
  add_servers(3);
  add_streams(12);
  refresh_and_converge();
  Engine& f = follower();
  const std::string source = f.locate("stream-3").owner;
  const std::string dest = source == "server-0" ? "server-1" : "server-0";
  f.migrate("stream-3", dest);  // from a follower: goes to the leader as intake
  f.flush();
  refresh_and_converge();
  catalogue::StreamLocation at = f.locate("stream-3");
  EXPECT_EQ(at.status, CatalogueStatus::migrating);
  EXPECT_EQ(std::string(at.owner), dest);
  EXPECT_EQ(reads_of(at), (std::vector<std::string>{std::min(source, dest), std::max(source, dest)}));
  expect_same(at, leader().locate("stream-3"), "migrating");

  f.delete_stream("stream-3");
  f.flush();
  refresh_and_converge();
  at = f.locate("stream-3");
  EXPECT_EQ(at.status, CatalogueStatus::deleting);
  EXPECT_FALSE(at.known);
  expect_same(at, leader().locate("stream-3"), "deleting");
  EXPECT_THROW(f.migration_done("stream-3", dest, true), Error) << "no migration runs after the delete";
}

TEST_F(CatalogueCluster, TwoNodesMigratingOneStreamAtOnceGetOneMigrationAndTheOtherIsCountedRefused) {
  start(2, sticky());
  add_servers(3);
  add_streams(6);
  refresh_and_converge();
  Engine& l = leader();
  Engine& f = follower();
  const std::string owner = l.locate("stream-1").owner;
  const std::string one = owner == "server-0" ? "server-1" : "server-0";
  const std::string two = owner == "server-2" ? "server-1" : "server-2";
  const uint64_t rejected = l.metrics().intake_rejected;
  f.migrate("stream-1", one);  // both pass their node's checks: no version shows the other yet
  f.flush();
  l.migrate("stream-1", two);
  l.flush();
  refresh_and_converge();
  catalogue::StreamLocation at = f.locate("stream-1");
  EXPECT_EQ(at.status, CatalogueStatus::migrating);
  EXPECT_EQ(std::string(at.destination), one) << "the first heard wins";
  EXPECT_EQ(l.metrics().intake_rejected, rejected + 1);
}

TEST_F(CatalogueCluster, ANewLeaderKeepsEveryMigrationAndPurge) {
  start(2, sticky());
  add_servers(3);
  add_streams(12);
  refresh_and_converge();
  Engine& l = leader();
  std::vector<std::string> moving;
  for (int i = 0; i < 4; ++i) {
    std::string s = "stream-" + std::to_string(i);
    std::string owner = l.locate(s).owner;
    l.migrate(s, owner == "server-2" ? "server-0" : "server-2");
    moving.push_back(s);
  }
  l.delete_stream("stream-9");
  l.flush();
  uint64_t v = refresh_and_converge();
  auto before = l.snapshot();
  ASSERT_NE(before->catalogue, nullptr);
  ASSERT_EQ(before->catalogue->migrations.size(), 4u);
  ASSERT_FALSE(before->catalogue->purges.empty());
  uint64_t old_epoch = l.status().epoch;
  l.resign();
  Engine* next = nullptr;
  ASSERT_TRUE(eventually([&] {
    for (auto& n : nodes_)
      if (n.get() != &l && n->status().is_leader && n->status().epoch > old_epoch) next = n.get();
    return next != nullptr;
  }));
  ASSERT_TRUE(eventually([&] { return next->status().version > v; })) << "the new leader did not publish";
  auto after = next->snapshot();
  ASSERT_NE(after->catalogue, nullptr);
  EXPECT_EQ(after->catalogue->migrations, before->catalogue->migrations);
  EXPECT_EQ(after->catalogue->purges, before->catalogue->purges);
  for (const std::string& s : moving) EXPECT_EQ(next->locate(s).status, CatalogueStatus::migrating) << s;
}

}  // namespace
}  // namespace berth::testing
