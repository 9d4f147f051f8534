// The grant step across removals (a held stream removed keeps its holder) and on a base it may
// not grant from (docs/ownership.md).
#include <gtest/gtest.h>

#include "ownership/grant_step.h"
#include "ownership/grant_step_fixture.h"

namespace berth::ownership {
namespace {

using testing::Member;
using testing::Versions;

const std::vector<Member> kAB = {{"a", 1}, {"b", 1}};

TEST(GrantStepRemoved, AHeldStreamRemovedKeepsItsHolderAndToken) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  StepCounts c = v.next(kAB, {{"s2", "b"}});
  ASSERT_EQ(v.now().removed_holds.size(), 1u);
  const RemovedHold& h = v.now().removed_holds[0];
  EXPECT_EQ(h.stream, "s1");
  EXPECT_EQ(v.now().servers->ids.at(h.holder), "a");
  EXPECT_EQ(h.token, 1u);
  EXPECT_EQ(c.removed_held, 1u);
  v.next(kAB, {{"s2", "b"}});
  EXPECT_EQ(v.now().removed_holds.size(), 1u) << "kept while the stream stays removed";
}

TEST(GrantStepRemoved, AddedAgainItGoesBackToItsHolderBeforeAnyoneElse) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  v.next(kAB, {{"s2", "b"}});
  StepCounts back = v.next(kAB, {{"s2", "b"}, {"s1", "b"}});
  EXPECT_EQ(v.holder("s1"), "a") << "b got a stream a's node may still serve";
  EXPECT_EQ(v.token("s1"), 3u) << "a new grant to the holder it had: tokens only grow";
  EXPECT_EQ(back.granted, 1u);
  EXPECT_EQ(back.releasing, 1u);
  EXPECT_TRUE(v.now().removed_holds.empty());

  StepCounts moved = v.next(kAB, {{"s2", "b"}, {"s1", "b"}}, {v.release_of("s1")});
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(v.token("s1"), 4u);
  EXPECT_EQ(moved.handoffs_completed, 1u);
}

TEST(GrantStepRemoved, TheHoldEndsWithItsHoldersRegistration) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  v.next(kAB, {{"s2", "b"}});
  StepCounts gone = v.next({{"a", 2}, {"b", 1}}, {{"s2", "b"}});  // a registered anew
  EXPECT_TRUE(v.now().removed_holds.empty());
  EXPECT_EQ(gone.holders_lost, 1u);
  v.next({{"a", 2}, {"b", 1}}, {{"s2", "b"}, {"s1", "b"}});
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(v.token("s1"), 4u);
}

TEST(GrantStepRemoved, TheHoldEndsWithAReleaseNamingIt) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  v.next(kAB, {{"s2", "b"}});
  StepCounts late = v.next(kAB, {{"s2", "b"}}, {{"s1", "a", 7}});
  EXPECT_EQ(late.releases_ignored, 1u) << "another token";
  EXPECT_EQ(v.now().removed_holds.size(), 1u);
  StepCounts released = v.next(kAB, {{"s2", "b"}}, {{"s1", "a", 1}});
  EXPECT_EQ(released.releases_ignored, 0u);
  EXPECT_TRUE(v.now().removed_holds.empty());
  v.next(kAB, {{"s2", "b"}, {"s1", "b"}});
  EXPECT_EQ(v.holder("s1"), "b");
}

TEST(GrantStepRemoved, AStreamNoLongerAmongTheTombstonesLosesItsHold) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  auto next = std::make_shared<Snapshot>(v.now());
  next->meta.version = 2;
  next->streams = testing::stream_columns({"s2"});
  next->owner = {1};
  next->load = {1.0f};
  next->tombstones = nullptr;  // past the tombstones' bound
  assign_holders(&v.now(), *next, {});
  EXPECT_TRUE(next->removed_holds.empty());
}

// Without grants: what the base holds stays held (releases and lost registrations still end
// claims), and nothing free is granted.
TEST(GrantStepWithheld, NothingIsGrantedAndEveryHolderStays) {
  Versions v;
  v.next({{"a", 1}, {"b", 1}, {"c", 1}}, {{"s1", "a"}, {"s2", "b"}, {"s3", "c"}, {"s4", "a"}});
  const Snapshot& base = v.now();
  Snapshot next = base;
  next.meta.version = 2;
  next.servers = testing::server_columns({{"a", 1}, {"b", 1}});  // c is gone
  next.streams = testing::stream_columns({"s1", "s2", "s3", "s4", "s5"});
  next.owner = {1, 1, 0, 0, 1};  // s1 moves to b; s3 lost its holder; s5 is new
  next.load.assign(5, 1.0f);
  StepCounts c = assign_holders(&base, next, {{"s4", "a", 1}}, /*soft=*/true, /*grant=*/false);
  EXPECT_EQ(c.granted, 0u);
  EXPECT_EQ(c.withheld, 3u);  // s3, s4 (released) and s5
  ASSERT_EQ(next.holder.size(), 5u);
  EXPECT_EQ(next.holder[0], 0u) << "s1 stays with a even in soft mode: nothing is granted to b";
  EXPECT_EQ(next.token[0], 1u);
  EXPECT_EQ(next.holder[1], 1u);
  EXPECT_EQ(next.token[1], 1u);
  for (uint64_t i : {2, 3, 4}) {
    EXPECT_EQ(next.holder[i], BERTH_NO_SERVER) << "stream #" << i;
    EXPECT_EQ(next.token[i], 0u) << "stream #" << i;
  }
  EXPECT_EQ(c.releasing, 1u);
  EXPECT_EQ(c.unheld, 3u);
}

TEST(GrantStepWithheld, WithoutABaseNothingIsGranted) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  Snapshot next = v.now();
  next.meta.version = 9;
  StepCounts c = assign_holders(nullptr, next, {}, false, /*grant=*/false);
  EXPECT_EQ(next.holder, std::vector<uint32_t>{BERTH_NO_SERVER});
  EXPECT_EQ(c.granted, 0u);
  EXPECT_EQ(c.withheld, 1u);
}

}  // namespace
}  // namespace berth::ownership
