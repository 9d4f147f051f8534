// The Tracker: the lease (margin, loss, session change, expiry by the clock), incarnations after a
// loss, and each registered server's claims kept in line with installed versions.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "claims_snapshots.h"
#include "ownership/tracker.h"

namespace berth::ownership {
namespace {

using testing::kNobody;
using testing::make_snapshot;

constexpr uint64_t kMargin = 10'000'000;  // 10 ms
constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kEndless = std::numeric_limits<uint64_t>::max();

std::vector<Event> drain(ServerClaims& claims) {
  const std::atomic<bool> cancel{false};
  std::vector<Event> out;
  while (auto event = claims.poll(std::chrono::steady_clock::now(), cancel)) out.push_back(*event);
  return out;
}

// Registers the server and opens its claims, as a host does before serving.
std::shared_ptr<ServerClaims> join(Tracker& tracker, std::string_view server, uint64_t incarnation) {
  tracker.add(server, incarnation);
  return tracker.open(server, nullptr);
}

// Servers a (incarnation `a`), b (incarnation `b`); s1 granted to a, s2 to b, at version 5.
Snapshot grants(uint64_t version, uint64_t a, uint64_t b = 3, uint64_t token = 5) {
  return make_snapshot(version, {{"a", a}, {"b", b}}, {{"s1", 0, 0, token}, {"s2", 1, 1, token}});
}

TEST(TrackerTest, AppliesTheMarginAndKeepsAnEndlessLeaseEndless) {
  Tracker tracker(kMargin);
  EXPECT_EQ(tracker.lease_deadline().load(), 0u);
  const uint64_t until = monotonic_now_ns() + kSecond;
  EXPECT_FALSE(tracker.lease(true, until, 1));
  EXPECT_EQ(tracker.lease_deadline().load(), until - kMargin);
  EXPECT_FALSE(tracker.lease(true, kEndless, 1));
  EXPECT_EQ(tracker.lease_deadline().load(), kEndless);
}

TEST(TrackerTest, EachServerTakesUpItsOwnGrants) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  auto b = join(tracker, "b", 3);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  tracker.apply(grants(5, 7));
  uint64_t token = 0;
  EXPECT_TRUE(a->holds("s1", &token));
  EXPECT_EQ(token, 5u);
  EXPECT_FALSE(a->holds("s2", nullptr));
  EXPECT_TRUE(b->holds("s2", nullptr));
  EXPECT_EQ(tracker.find("a"), a);
  EXPECT_EQ(tracker.find("c"), nullptr);
  EXPECT_EQ(join(tracker, "a", 7), a);
  EXPECT_TRUE(a->holds("s1", nullptr));
  const std::map<std::string, uint64_t, std::less<>> expected{{"a", 7}, {"b", 3}};
  EXPECT_EQ(tracker.servers(), expected);
}

TEST(TrackerTest, TakesNothingUpWithoutALeaseAndEverythingOnceItHasOne) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  tracker.apply(grants(5, 7));
  EXPECT_FALSE(a->holds("s1", nullptr));
  EXPECT_TRUE(drain(*a).empty());
  // A lease whose deadline, less the margin, is already behind is no lease.
  EXPECT_FALSE(tracker.lease(true, monotonic_now_ns() + kMargin / 2, 1));
  tracker.apply(grants(5, 7));
  EXPECT_FALSE(a->holds("s1", nullptr));

  ASSERT_FALSE(tracker.lease(true, monotonic_now_ns() + kSecond, 1));
  tracker.apply(grants(5, 7));  // the served version, applied again
  EXPECT_TRUE(a->holds("s1", nullptr));
}

TEST(TrackerTest, ALeaseEndingByTheClockEndsHoldsWithoutAnyCallThenRevokesAtItsDeadline) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, monotonic_now_ns() + kMargin + 100'000'000, 1));
  const uint64_t deadline = tracker.lease_deadline().load();
  tracker.apply(grants(5, 7));
  ASSERT_TRUE(a->holds("s1", nullptr));
  drain(*a);

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(a->holds("s1", nullptr));
  // Nothing is taken up past the deadline either.
  tracker.apply(grants(6, 7, 3, 6));
  EXPECT_FALSE(a->holds("s1", nullptr));

  // The backend still says held, same session, later deadline: too late, the claims ended.
  EXPECT_TRUE(tracker.lease(true, monotonic_now_ns() + kSecond, 1));
  const auto events = drain(*a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::revoked);
  EXPECT_EQ(events[0].ended_ns, deadline);
}

TEST(TrackerTest, ALostLeaseRevokesEverythingOnceAtTheEarlierOfDeadlineAndNow) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, monotonic_now_ns() + 10 * kSecond, 1));
  tracker.apply(grants(5, 7));
  drain(*a);
  const uint64_t before = monotonic_now_ns();
  EXPECT_TRUE(tracker.lease(false, 0, 1));
  const uint64_t after = monotonic_now_ns();
  EXPECT_FALSE(a->holds("s1", nullptr));
  EXPECT_EQ(tracker.lease_deadline().load(), 0u);
  const auto events = drain(*a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::revoked);
  EXPECT_GE(events[0].ended_ns, before);
  EXPECT_LE(events[0].ended_ns, after);
  EXPECT_FALSE(tracker.lease(false, 0, 1));
}

TEST(TrackerTest, ASessionChangeEndsTheClaims) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  tracker.apply(grants(5, 7));
  ASSERT_TRUE(a->holds("s1", nullptr));
  EXPECT_TRUE(tracker.lease(true, kEndless, 2));
  EXPECT_FALSE(a->holds("s1", nullptr));
}

TEST(TrackerTest, AfterALossOnlyANewIncarnationTakesGrantsUp) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  tracker.apply(grants(5, 7));
  ASSERT_TRUE(tracker.lease(false, 0, 1));
  drain(*a);
  // A new session, but the server is still under its old incarnation: the leader may not have
  // noticed the loss and keeps showing (and even making) grants to it.
  ASSERT_FALSE(tracker.lease(true, kEndless, 2));
  tracker.apply(grants(6, 7, 3, 6));
  EXPECT_FALSE(a->holds("s1", nullptr));
  tracker.set_incarnation("a", 7);
  tracker.apply(grants(6, 7, 3, 6));
  EXPECT_FALSE(a->holds("s1", nullptr));
  EXPECT_TRUE(drain(*a).empty());

  tracker.set_incarnation("a", 8);
  tracker.apply(grants(7, 7, 3, 7));  // still the old registration's grants
  EXPECT_FALSE(a->holds("s1", nullptr));
  tracker.apply(grants(8, 8, 3, 8));
  uint64_t token = 0;
  EXPECT_TRUE(a->holds("s1", &token));
  EXPECT_EQ(token, 8u);
  EXPECT_EQ(tracker.servers().at("a"), 8u);
}

TEST(TrackerTest, AfterALossGrantsMadeBeforeItAndNeverSeenAreNotTakenUp) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  // The leader granted s1 to incarnation 7, but no version showing it was applied before the loss.
  ASSERT_TRUE(tracker.lease(false, 0, 1));
  ASSERT_FALSE(tracker.lease(true, kEndless, 2));
  tracker.apply(grants(5, 7));
  EXPECT_FALSE(a->holds("s1", nullptr));
  EXPECT_TRUE(drain(*a).empty());
}

TEST(TrackerTest, RegisteringAgainUnderAnotherIncarnationEndsTheOldClaims) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  tracker.apply(grants(5, 7));
  drain(*a);
  EXPECT_EQ(join(tracker, "a", 9), a);
  EXPECT_FALSE(a->holds("s1", nullptr));
  const auto events = drain(*a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::revoked);
  tracker.apply(grants(6, 9, 3, 6));
  EXPECT_TRUE(a->holds("s1", nullptr));
}

TEST(TrackerTest, RemoveClosesTheServersFeed) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  tracker.apply(grants(5, 7));
  tracker.remove("a");
  EXPECT_TRUE(a->closed());
  EXPECT_FALSE(a->holds("s1", nullptr));
  EXPECT_EQ(tracker.find("a"), nullptr);
  tracker.apply(grants(6, 7, 3, 6));
  EXPECT_FALSE(a->holds("s1", nullptr));
  EXPECT_NE(join(tracker, "a", 7), a);
}

TEST(TrackerTest, CloseAllEndsEveryClaim) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  auto b = join(tracker, "b", 3);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  tracker.apply(grants(5, 7));
  tracker.close_all(monotonic_now_ns());
  EXPECT_TRUE(a->closed());
  EXPECT_TRUE(b->closed());
  EXPECT_FALSE(a->holds("s1", nullptr));
  EXPECT_FALSE(b->holds("s2", nullptr));
}

TEST(TrackerTest, AServerAbsentFromAVersionLosesItsClaims) {
  Tracker tracker(kMargin);
  auto a = join(tracker, "a", 7);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  tracker.apply(grants(5, 7));
  ASSERT_TRUE(a->holds("s1", nullptr));
  tracker.apply(make_snapshot(6, {{"b", 3}}, {{"s1", 0, kNobody, 0}, {"s2", 0, 0, 5}}));
  EXPECT_FALSE(a->holds("s1", nullptr));
}

TEST(TrackerTest, ServersNobodyOpenedTakeNothingUpAndTheFirstOpenTakesUpTheCurrentVersion) {
  Tracker tracker(kMargin);
  tracker.add("a", 7);
  tracker.add("b", 3);
  ASSERT_FALSE(tracker.lease(true, kEndless, 1));
  const Snapshot five = grants(5, 7);
  tracker.apply(five);
  EXPECT_EQ(tracker.find("a"), nullptr) << "claims nobody opened are not handed out";
  auto a = tracker.open("a", &five);
  ASSERT_NE(a, nullptr);
  uint64_t token = 0;
  EXPECT_TRUE(a->holds("s1", &token)) << "the first open takes up what the current version grants";
  EXPECT_EQ(token, 5u);
  const auto events = drain(*a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::acquire);
  EXPECT_EQ(tracker.open("a", &five), a);
  EXPECT_TRUE(drain(*a).empty()) << "opened again, the same claims, nothing delivered twice";
  EXPECT_EQ(tracker.open("c", &five), nullptr);
  // b was never opened: its grant was not taken up, and its claims hold nothing until opened.
  tracker.apply(grants(6, 7, 3, 6));
  auto b = tracker.open("b", nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->held_count(), 0u);
  tracker.apply(grants(7, 7, 3, 7));
  EXPECT_TRUE(b->holds("s2", nullptr));
}

}  // namespace
}  // namespace berth::ownership
