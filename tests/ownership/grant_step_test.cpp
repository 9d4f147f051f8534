// The leader's grant step, row by row of docs/ownership.md's table, and the releases it ignores.
#include <gtest/gtest.h>

#include "common/error.h"
#include "ownership/grant_step.h"
#include "ownership/grant_step_fixture.h"

namespace berth::ownership {
namespace {

using testing::Member;
using testing::Versions;

const std::vector<Member> kAB = {{"a", 1}, {"b", 1}};

TEST(GrantStep, WithoutABaseEveryStreamIsGrantedToItsOwnerUnderThisVersion) {
  Versions v;
  StepCounts c = v.next(kAB, {{"s1", "a"}, {"s2", "b"}}, {{"s1", "a", 0}});
  EXPECT_EQ(v.holder("s1"), "a");
  EXPECT_EQ(v.holder("s2"), "b");
  EXPECT_EQ(v.token("s1"), 1u);
  EXPECT_EQ(v.token("s2"), 1u);
  EXPECT_EQ(c.granted, 2u);
  EXPECT_EQ(c.unheld, 0u);
  EXPECT_EQ(c.releasing, 0u);
  EXPECT_EQ(c.releases_ignored, 1u);  // nobody held anything to release
}

TEST(GrantStep, ABaseWithoutHolderColumnsHoldsNothing) {
  auto names = std::make_shared<ServerNames>();
  Snapshot base;
  base.meta.version = 4;
  base.servers = testing::server_columns(kAB);
  base.streams = testing::stream_columns({"s1"});
  base.owner = {0};
  base.load = {1.0f};
  finish_snapshot(base, nullptr, names);
  Snapshot next = base;
  next.meta.version = 5;
  next.owner = {1};
  StepCounts c = assign_holders(&base, next, {});
  ASSERT_EQ(next.holder.size(), 1u);
  EXPECT_EQ(next.holder[0], 1u);
  EXPECT_EQ(next.token[0], 5u);
  EXPECT_EQ(c.granted, 1u);
  EXPECT_EQ(c.handoffs_started, 0u);
}

TEST(GrantStep, NobodyHoldsANewStreamSoItIsGrantedToItsOwner) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  StepCounts c = v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  EXPECT_EQ(v.holder("s2"), "b");
  EXPECT_EQ(v.token("s2"), 2u);
  EXPECT_EQ(v.token("s1"), 1u);  // kept, not granted again
  EXPECT_EQ(c.granted, 1u);
}

TEST(GrantStep, AHolderThatIsTheOwnerKeepsTheStreamAndItsToken) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  StepCounts c = v.next(kAB, {{"s1", "a"}});
  EXPECT_EQ(v.holder("s1"), "a");
  EXPECT_EQ(v.token("s1"), 1u);
  EXPECT_EQ(c.granted, 0u);
  EXPECT_EQ(c.releasing, 0u);
}

TEST(GrantStep, AHolderThatIsNoLongerTheOwnerKeepsTheStreamUntilItReleases) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "a"}});
  StepCounts moved = v.next(kAB, {{"s1", "b"}, {"s2", "a"}});
  EXPECT_EQ(v.holder("s1"), "a");
  EXPECT_EQ(v.token("s1"), 1u);
  EXPECT_EQ(moved.handoffs_started, 1u);
  EXPECT_EQ(moved.releasing, 1u);
  EXPECT_EQ(moved.granted, 0u);

  StepCounts waiting = v.next(kAB, {{"s1", "b"}, {"s2", "a"}});
  EXPECT_EQ(v.holder("s1"), "a");
  EXPECT_EQ(waiting.handoffs_started, 0u);  // asked once, counted once
  EXPECT_EQ(waiting.releasing, 1u);

  StepCounts done = v.next(kAB, {{"s1", "b"}, {"s2", "a"}}, {v.release_of("s1")});
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(v.token("s1"), 4u);
  EXPECT_EQ(done.handoffs_completed, 1u);
  EXPECT_EQ(done.granted, 1u);
  EXPECT_EQ(done.releasing, 0u);
  EXPECT_EQ(done.releases_ignored, 0u);
}

TEST(GrantStep, AnOwnerChangingBackBeforeTheReleaseLeavesTheHolderInPlace) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  v.next(kAB, {{"s1", "b"}});
  StepCounts back = v.next(kAB, {{"s1", "a"}});
  EXPECT_EQ(v.holder("s1"), "a");
  EXPECT_EQ(v.token("s1"), 1u);
  EXPECT_EQ(back.releasing, 0u);
  EXPECT_EQ(back.granted, 0u);
}

TEST(GrantStep, AReleaseByAHolderThatIsStillTheOwnerIsGrantedToItAgainUnderANewToken) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  StepCounts c = v.next(kAB, {{"s1", "a"}}, {v.release_of("s1")});
  EXPECT_EQ(v.holder("s1"), "a");
  EXPECT_EQ(v.token("s1"), 2u);
  EXPECT_EQ(c.granted, 1u);
  EXPECT_EQ(c.handoffs_completed, 1u);
}

TEST(GrantStep, AHolderWhoseMemberIsGoneLosesTheStreamAndItsOwnerGetsIt) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  v.next(kAB, {{"s1", "b"}, {"s2", "b"}});  // a asked to release s1, never does
  StepCounts c = v.next({{"b", 1}}, {{"s1", "b"}, {"s2", "b"}});
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(v.token("s1"), 3u);
  EXPECT_EQ(v.holder("s2"), "b");
  EXPECT_EQ(v.token("s2"), 1u);
  EXPECT_EQ(c.holders_lost, 1u);
  EXPECT_EQ(c.granted, 1u);
  EXPECT_EQ(c.handoffs_completed, 0u);
}

TEST(GrantStep, AHolderThatRegisteredAgainLosesTheStreamEvenWhenItIsStillTheOwner) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  StepCounts c = v.next({{"a", 2}, {"b", 1}}, {{"s1", "a"}});
  EXPECT_EQ(v.holder("s1"), "a");
  EXPECT_EQ(v.token("s1"), 2u);  // a new grant, to the new incarnation
  EXPECT_EQ(c.holders_lost, 1u);
  EXPECT_EQ(c.granted, 1u);
}

TEST(GrantStep, HoldersAreFollowedByIdWhenServerIndexesShift) {
  Versions v;
  v.next({{"b", 1}, {"c", 1}}, {{"s1", "b"}, {"s2", "c"}});
  v.next({{"a", 1}, {"b", 1}, {"c", 1}}, {{"s1", "a"}, {"s2", "c"}});  // "a" sorts first: b and c move up
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(v.holder("s2"), "c");
  EXPECT_EQ(v.token("s2"), 1u);
}

TEST(GrantStep, StreamsAreFollowedByIdWhenStreamsAreRemovedAddedAndReordered) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}, {"s3", "a"}, {"s4", "b"}});
  v.next(kAB, {{"s4", "b"}, {"s5", "a"}, {"s3", "a"}, {"s1", "b"}});
  EXPECT_EQ(v.token("s4"), 1u);
  EXPECT_EQ(v.token("s3"), 1u);
  EXPECT_EQ(v.holder("s1"), "a");  // asked to release
  EXPECT_EQ(v.holder("s5"), "a");
  EXPECT_EQ(v.token("s5"), 2u);
}

TEST(GrantStep, StaleDuplicateAndMismatchedReleasesChangeNothing) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "a"}});
  v.next(kAB, {{"s1", "b"}, {"s2", "b"}});
  Release good = v.release_of("s1");
  StepCounts c = v.next(kAB, {{"s1", "b"}, {"s2", "b"}},
                        {{"s2", "a", 2},            // wrong token (the version that asked, not the grant)
                         {"s2", "b", 1},            // right token, wrong server
                         {"s2", "", 1},             // no server
                         {"nowhere", "a", 1},       // unknown stream
                         good, good});              // the second is a duplicate
  EXPECT_EQ(v.holder("s2"), "a");
  EXPECT_EQ(v.token("s2"), 1u);
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(c.releases_ignored, 5u);
  EXPECT_EQ(c.granted, 1u);

  Release late = good;  // heard again after it took effect
  Release wrong_holder{"s1", "a", v.token("s1")};
  StepCounts again = v.next(kAB, {{"s1", "b"}, {"s2", "b"}}, {late, wrong_holder});
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(v.token("s1"), 3u);
  EXPECT_EQ(again.releases_ignored, 2u);
  EXPECT_EQ(again.granted, 0u);
}

TEST(GrantStep, AReleaseOfARemovedStreamIsHarmless) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  Release r = v.release_of("s1");
  StepCounts c = v.next(kAB, {{"s2", "b"}}, {r});
  EXPECT_EQ(v.now().stream_count(), 1u);
  EXPECT_EQ(v.holder("s2"), "b");
  EXPECT_EQ(c.granted, 0u);
  StepCounts later = v.next(kAB, {{"s2", "b"}}, {r});
  EXPECT_EQ(later.releases_ignored, 1u);
}

TEST(GrantStep, NoServersMeansNoGrants) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  auto names = std::make_shared<ServerNames>();
  Snapshot next;
  next.meta.version = 2;
  next.servers = testing::server_columns({});
  next.streams = v.now().streams;
  next.owner = {BERTH_NO_SERVER};
  StepCounts c = assign_holders(&v.now(), next, {});
  EXPECT_EQ(next.holder[0], BERTH_NO_SERVER);
  EXPECT_EQ(next.token[0], 0u);
  EXPECT_EQ(c.holders_lost, 1u);
  EXPECT_EQ(c.unheld, 1u);
}

TEST(GrantStep, ABaseWhoseHolderColumnsDisagreeIsRefusedRatherThanReadAsHoldingNothing) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "b"}});
  Snapshot base = v.now();
  base.token.pop_back();
  Snapshot next = v.now();
  next.meta.version = 2;
  try {
    assign_holders(&base, next, {});
    FAIL() << "a base with 2 holders and 1 token was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("version 1"), std::string::npos) << e.what();
  }
}

TEST(GrantStep, SoftHandOffGrantsTheNewOwnerAtOnce) {
  Versions v;
  v.next(kAB, {{"s1", "a"}, {"s2", "a"}});
  StepCounts c = v.next(kAB, {{"s1", "b"}, {"s2", "a"}}, {}, /*soft=*/true);
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(v.token("s1"), 2u);
  EXPECT_EQ(v.holder("s2"), "a");
  EXPECT_EQ(c.handoffs_started, 1u);
  EXPECT_EQ(c.handoffs_completed, 1u);
  EXPECT_EQ(c.releasing, 0u);
  EXPECT_EQ(c.granted, 1u);
}

TEST(GrantStep, SoftHandOffAlsoEndsAHandOffAlreadyWaiting) {
  Versions v;
  v.next(kAB, {{"s1", "a"}});
  v.next(kAB, {{"s1", "b"}});
  StepCounts c = v.next(kAB, {{"s1", "b"}}, {}, /*soft=*/true);
  EXPECT_EQ(v.holder("s1"), "b");
  EXPECT_EQ(c.handoffs_started, 0u);  // started by the version before
  EXPECT_EQ(c.handoffs_completed, 1u);
}

}  // namespace
}  // namespace berth::ownership
