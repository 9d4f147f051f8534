// Lapsing holds (ownership/lapsing_holds.h): the streams of a holder that vanished are granted to
// nobody for one wait, unless it releases them or comes back under the same incarnation.
#include <gtest/gtest.h>

#include "common/error.h"
#include "grant_step_fixture.h"
#include "snapshot/codec.h"

namespace berth::ownership::testing {
namespace {

constexpr uint64_t kWait = 500;
LapseClock g_clock{1000, kWait};  // what the next step runs with

StepCounts lapse_step(const Snapshot* base, Snapshot& next, const std::vector<Release>& releases, bool soft) {
  return assign_holders(base, next, releases, soft, true, g_clock);
}

class Lapse : public ::testing::Test {
 protected:
  void SetUp() override {
    g_clock = {1000, kWait};
    // Version 1: a holds s1, b holds s2, c holds nothing.
    v_.next({{"a"}, {"b"}, {"c"}}, {{"s1", "a"}, {"s2", "b"}});
    ASSERT_EQ(v_.holder("s1"), "a");
    ASSERT_EQ(v_.holder("s2"), "b");
  }
  // a's member is gone (or back as `a`); s1's owner is b from now on.
  StepCounts without_a(uint64_t now, std::vector<Member> members = {{"b"}, {"c"}}, std::vector<Release> releases = {}) {
    g_clock.now_ns = now;
    return v_.next(members, {{"s1", "b"}, {"s2", "b"}}, releases);
  }
  Versions v_{&lapse_step};
};

TEST_F(Lapse, AVanishedHoldersStreamIsGrantedToNobodyBeforeTheWaitAndToItsOwnerAfter) {
  StepCounts gone = without_a(1000);
  EXPECT_EQ(v_.holder("s1"), "");
  EXPECT_EQ(gone.lapsing, 1u);
  EXPECT_EQ(gone.lapse_ends_ns, 1000 + kWait);
  EXPECT_EQ(gone.granted, 0u);
  ASSERT_EQ(v_.now().lapsing_holds.size(), 1u);
  EXPECT_EQ(v_.now().lapsing_holds[0].server, "a");
  EXPECT_EQ(v_.now().lapsing_holds[0].token, 1u);
  EXPECT_EQ(v_.holder("s2"), "b");  // another holder's stream is untouched

  StepCounts still = without_a(1000 + kWait - 1);
  EXPECT_EQ(v_.holder("s1"), "");
  EXPECT_EQ(still.lapsing, 1u);
  EXPECT_EQ(still.lapse_ends_ns, 1000 + kWait);  // a step does not push the end further

  StepCounts after = without_a(1000 + kWait);
  EXPECT_EQ(v_.holder("s1"), "b");
  EXPECT_EQ(v_.token("s1"), v_.now().meta.version);
  EXPECT_EQ(after.lapsing, 0u);
  EXPECT_EQ(after.lapse_ends_ns, 0u);
  EXPECT_TRUE(v_.now().lapsing_holds.empty());
}

TEST_F(Lapse, AHolderBackUnderTheSameIncarnationIsGrantedItsStreamAgainWithANewToken) {
  without_a(1000);
  without_a(1100, {{"a"}, {"b"}, {"c"}});
  EXPECT_EQ(v_.holder("s1"), "a");
  EXPECT_GT(v_.token("s1"), 1u);
  EXPECT_TRUE(v_.now().lapsing_holds.empty());
}

TEST_F(Lapse, AHolderBackUnderAnotherIncarnationWaitsOutTheLapse) {
  without_a(1000);
  without_a(1100, {{"a", 2}, {"b"}, {"c"}});
  EXPECT_EQ(v_.holder("s1"), "");
  EXPECT_EQ(v_.now().lapsing_holds.size(), 1u);
}

TEST_F(Lapse, TheVanishedHoldersReleaseEndsTheLapse) {
  without_a(1000);
  without_a(1100, {{"b"}, {"c"}}, {{"s1", "a", 1}});
  EXPECT_EQ(v_.holder("s1"), "b");
  EXPECT_TRUE(v_.now().lapsing_holds.empty());
}

TEST_F(Lapse, AReleaseUnderAnotherTokenDoesNotEndTheLapse) {
  without_a(1000);
  StepCounts c = without_a(1100, {{"b"}, {"c"}}, {{"s1", "a", 7}});
  EXPECT_EQ(v_.holder("s1"), "");
  EXPECT_EQ(c.releases_ignored, 1u);
}

TEST_F(Lapse, AVanishedHolderOfNothingLeavesNoLapse) {
  g_clock.now_ns = 1000;
  StepCounts c = v_.next({{"a"}, {"b"}}, {{"s1", "a"}, {"s2", "b"}});
  EXPECT_EQ(c.lapsing, 0u);
  EXPECT_TRUE(v_.now().lapsing_holds.empty());
}

TEST_F(Lapse, AZeroWaitGrantsAVanishedHoldersStreamAtOnce) {
  g_clock.wait_ns = 0;
  StepCounts c = without_a(1000);
  EXPECT_EQ(v_.holder("s1"), "b");
  EXPECT_EQ(c.lapsing, 0u);
}

TEST_F(Lapse, ALeaderOfAnotherEpochWaitsAnewOnItsOwnClock) {
  without_a(1000);
  // The next leader's clock reads far ahead of the old one's: the old end means nothing to it.
  auto s = std::make_shared<Snapshot>();
  const Snapshot& base = v_.now();
  s->meta.version = base.meta.version + 1;
  s->meta.epoch = base.meta.epoch + 1;
  s->servers = base.servers;
  s->streams = base.streams;
  s->owner = base.owner;
  s->load = base.load;
  StepCounts c = assign_holders(&base, *s, {}, false, true, LapseClock{9'000'000, kWait});
  EXPECT_EQ(c.lapsing, 1u);
  ASSERT_EQ(s->lapsing_holds.size(), 1u);
  EXPECT_EQ(s->lapsing_holds[0].until_ns, 9'000'000 + kWait);
  EXPECT_EQ(s->lapsing_holds[0].epoch, base.meta.epoch + 1);
}

TEST_F(Lapse, AnEndBeyondOneWaitFromNowRestartsAtOneWaitFromNow) {
  without_a(1000);
  // The base says the lapse ends far in the future (corrupt or hostile bytes, same epoch).
  auto base = std::make_shared<Snapshot>(v_.now());
  ASSERT_EQ(base->lapsing_holds.size(), 1u);
  base->lapsing_holds[0].until_ns = UINT64_MAX - 1;
  auto s = std::make_shared<Snapshot>();
  s->meta.version = base->meta.version + 1;
  s->meta.epoch = base->meta.epoch;
  s->servers = base->servers;
  s->streams = base->streams;
  s->owner = base->owner;
  s->load = base->load;
  StepCounts c = assign_holders(base.get(), *s, {}, false, true, LapseClock{1100, kWait});
  ASSERT_EQ(s->lapsing_holds.size(), 1u);
  EXPECT_EQ(s->lapsing_holds[0].until_ns, 1100 + kWait);
  EXPECT_EQ(c.lapse_ends_ns, 1100 + kWait);
}

TEST_F(Lapse, ARemovedStreamOfAVanishedHolderLapsesAndIsNotGrantedWhenAddedBack) {
  g_clock.now_ns = 1000;
  v_.next({{"b"}, {"c"}}, {{"s2", "b"}});  // s1 removed as a vanished
  EXPECT_EQ(v_.now().lapsing_holds.size(), 1u);
  g_clock.now_ns = 1100;
  v_.next({{"b"}, {"c"}}, {{"s2", "b"}, {"s1", "b"}});
  EXPECT_EQ(v_.holder("s1"), "");
  g_clock.now_ns = 1000 + kWait;
  v_.next({{"b"}, {"c"}}, {{"s2", "b"}, {"s1", "b"}});
  EXPECT_EQ(v_.holder("s1"), "b");
}

TEST_F(Lapse, LapsingHoldsSurviveTheSnapshotCodec) {
  without_a(1000);
  Snapshot read = decode_snapshot(encode_snapshot(v_.now()));
  ASSERT_EQ(read.lapsing_holds.size(), 1u);
  const LapsingHold& h = read.lapsing_holds[0];
  EXPECT_EQ(h.stream, "s1");
  EXPECT_EQ(h.server, "a");
  EXPECT_EQ(h.incarnation, 1u);
  EXPECT_EQ(h.token, 1u);
  EXPECT_EQ(h.until_ns, 1000 + kWait);
  // The decoded version carries the lapse on as the leader's own would.
  g_clock.now_ns = 1100;
  auto next = std::make_shared<Snapshot>();
  next->meta.version = read.meta.version + 1;
  next->servers = read.servers;
  next->streams = read.streams;
  next->owner = read.owner;
  next->load = read.load;
  assign_holders(&read, *next, {}, false, true, g_clock);
  EXPECT_EQ(next->lapsing_holds.size(), 1u);
}

// The message decoding `s`'s bytes fails with (BERTH_E_CORRUPT), or "" when it passes.
std::string decode_refusal(const Snapshot& s) {
  try {
    decode_snapshot(encode_snapshot(s));
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << e.what();
    return e.what();
  }
}

TEST_F(Lapse, DecodingRefusesALapseOnAHeldStreamADuplicateOrTokenZeroNamingTheStream) {
  without_a(1000);
  ASSERT_EQ(decode_refusal(v_.now()), "");
  Snapshot held = v_.now();
  held.lapsing_holds[0].stream = "s2";  // b holds s2
  EXPECT_NE(decode_refusal(held).find("stream 's2': the stream is also held by server #"), std::string::npos)
      << decode_refusal(held);
  Snapshot twice = v_.now();
  twice.lapsing_holds.push_back(twice.lapsing_holds[0]);
  EXPECT_NE(decode_refusal(twice).find("(stream 's1') names a stream listed before"), std::string::npos)
      << decode_refusal(twice);
  Snapshot zero = v_.now();
  zero.lapsing_holds[0].token = 0;
  EXPECT_NE(decode_refusal(zero).find("(stream 's1') has token 0"), std::string::npos) << decode_refusal(zero);
}

TEST_F(Lapse, DecodingRefusesALapseOnAStreamRemovedWhileHeld) {
  v_.next({{"a"}, {"b"}, {"c"}}, {{"s2", "b"}});  // s1 removed while a holds it
  ASSERT_EQ(v_.now().removed_holds.size(), 1u);
  Snapshot s = v_.now();
  s.lapsing_holds.push_back(LapsingHold{"s1", "a", 1, 1, s.meta.epoch, 2000});
  EXPECT_NE(decode_refusal(s).find("lapsing hold of stream 's1': the stream is also a removed stream still held"),
            std::string::npos)
      << decode_refusal(s);
}

}  // namespace
}  // namespace berth::ownership::testing
