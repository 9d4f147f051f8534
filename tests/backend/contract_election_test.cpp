// Contract: leader election with epochs.
#include "backend/backend_contract.h"

namespace berth::test {
namespace {

bool leads(Backend& backend) { return backend.leadership().is_leader == 1; }

TEST_P(BackendContract, NobodyLeadsBeforeAnyoneCampaigns) {
  auto a = open();
  berth_leadership now = a->leadership();
  EXPECT_EQ(now.epoch, 0u);
  EXPECT_EQ(now.is_leader, 0);
  EXPECT_EQ(now.connected, 1);
}

TEST_P(BackendContract, TheFirstCandidateLeads) {
  auto a = open();
  auto b = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  b->campaign();
  ASSERT_TRUE(eventually([&] { return b->leadership().epoch == a->leadership().epoch; }));
  berth_leadership leader = a->leadership();
  berth_leadership follower = b->leadership();
  EXPECT_GT(leader.epoch, 0u);
  EXPECT_EQ(follower.is_leader, 0);
  EXPECT_EQ(leader.connected, 1);
  EXPECT_EQ(follower.connected, 1);
}

TEST_P(BackendContract, InstancesThatDoNotCampaignNeverLead) {
  auto a = open();
  auto b = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  EXPECT_TRUE(eventually([&] { return b->leadership().epoch == a->leadership().epoch; }))
      << "an observer sees the leader's epoch";
  a->resign();
  ASSERT_TRUE(eventually([&] { return !leads(*a); }));
  EXPECT_FALSE(leads(*b));
}

TEST_P(BackendContract, CampaigningTwiceChangesNothing) {
  auto a = open();
  auto b = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  uint64_t epoch = a->leadership().epoch;
  b->campaign();
  a->campaign();
  b->campaign();
  EXPECT_TRUE(leads(*a));
  EXPECT_EQ(a->leadership().epoch, epoch);
  // A single resign leaves the election, however many times one campaigned.
  a->resign();
  EXPECT_TRUE(eventually([&] { return leads(*b); }));
  EXPECT_FALSE(leads(*a));
  b->resign();
  EXPECT_TRUE(eventually([&] { return b->leadership().epoch == 0; })) << "no candidate is left";
  EXPECT_FALSE(leads(*a));
  EXPECT_FALSE(leads(*b));
}

TEST_P(BackendContract, ResignPassesLeadershipToTheNextCandidateWithAHigherEpoch) {
  auto a = open();
  auto b = open();
  auto c = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  b->campaign();
  c->campaign();
  uint64_t first = a->leadership().epoch;
  a->resign();
  ASSERT_TRUE(eventually([&] { return leads(*b); })) << "b campaigned before c";
  EXPECT_FALSE(leads(*c));
  EXPECT_FALSE(leads(*a));
  uint64_t second = b->leadership().epoch;
  EXPECT_GT(second, first);
  EXPECT_TRUE(eventually([&] { return c->leadership().epoch == second && a->leadership().epoch == second; }));
}

TEST_P(BackendContract, ADestroyedLeaderIsReplacedWithAHigherEpoch) {
  auto a = open();
  auto b = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  b->campaign();
  uint64_t first = a->leadership().epoch;
  a.reset();
  ASSERT_TRUE(eventually([&] { return leads(*b); }));
  EXPECT_GT(b->leadership().epoch, first);
}

TEST_P(BackendContract, AFollowerThatResignsLeavesTheLeaderInPlace) {
  auto a = open();
  auto b = open();
  auto c = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  b->campaign();
  c->campaign();
  uint64_t epoch = a->leadership().epoch;
  b->resign();
  EXPECT_TRUE(leads(*a));
  EXPECT_EQ(a->leadership().epoch, epoch);
  a->resign();
  EXPECT_TRUE(eventually([&] { return leads(*c); })) << "b is no longer a candidate";
}

TEST_P(BackendContract, ALeaderComingBackGetsANewEpoch) {
  auto a = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  uint64_t first = a->leadership().epoch;
  a->resign();
  ASSERT_TRUE(eventually([&] { return !leads(*a); }));
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  EXPECT_GT(a->leadership().epoch, first);
}

TEST_P(BackendContract, ResigningWithoutCampaigningIsHarmless) {
  auto a = open();
  EXPECT_EQ(failure_of([&] { a->resign(); }).code, BERTH_OK);
  EXPECT_FALSE(leads(*a));
}

TEST_P(BackendContractDeletedCandidacy, CandidatesDeletedFromOutsideCampaignAgainAndAtMostOneLeads) {
  ASSERT_TRUE(GetParam().delete_candidates) << GetParam().plugin << " is instantiated without a way to delete candidacies";
  auto a = open();
  auto b = open();
  a->campaign();
  ASSERT_TRUE(eventually([&] { return leads(*a); }));
  b->campaign();
  const uint64_t before = a->leadership().epoch;
  GetParam().delete_candidates(cluster_);
  // Never two leaders at one epoch, while they stand again and for a while after.
  int two_leaders = 0, rounds_led = 0;
  const auto sample = [&] {
    const berth_leadership la = a->leadership(), lb = b->leadership();
    if (la.is_leader == 1 && lb.is_leader == 1 && la.epoch == lb.epoch) ++two_leaders;
    return la.is_leader == 1 || lb.is_leader == 1;
  };
  ASSERT_TRUE(eventually([&] { return sample() && ++rounds_led >= 50; })) << "nobody stood again";
  EXPECT_EQ(two_leaders, 0) << "both led at one epoch";
  // The one left campaigning after the leader goes must lead (nobody else is left to).
  if (leads(*a)) a.reset();
  else b.reset();
  Backend& rest = a ? *a : *b;
  ASSERT_TRUE(eventually([&] { return leads(rest); })) << "the remaining candidate never stood again";
  EXPECT_GT(rest.leadership().epoch, before);
}

}  // namespace
}  // namespace berth::test
