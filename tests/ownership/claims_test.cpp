// ServerClaims on one thread: what a server takes up, gives up and tells its host, fed with
// adversarial versions (stale ones re-showing a released grant, grants to an earlier incarnation,
// claims revoked before their acquire was delivered) and a lease that ends by the clock alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <thread>
#include <vector>

#include "claims_snapshots.h"
#include "ownership/server_claims.h"

namespace berth::ownership {
namespace {

using testing::kNobody;
using testing::make_snapshot;

constexpr uint32_t kA = 0;  // this server
constexpr uint32_t kB = 1;
constexpr uint64_t kIncarnation = 7;

// Servers a (this one, at `incarnation`) and b.
Snapshot version(uint64_t number, const std::vector<testing::StreamRow>& streams, uint64_t incarnation = kIncarnation) {
  return make_snapshot(number, {{"a", incarnation}, {"b", 3}}, streams);
}

class ClaimsTest : public ::testing::Test {
 protected:
  std::atomic<uint64_t> lease{std::numeric_limits<uint64_t>::max()};
  ServerClaims claims{"a", lease};
  std::atomic<bool> cancel{false};

  // Every event queued now, without waiting.
  std::vector<Event> drain() {
    std::vector<Event> out;
    while (auto event = claims.poll(std::chrono::steady_clock::now(), cancel)) out.push_back(*event);
    return out;
  }

  uint64_t token_of(std::string_view stream) {
    uint64_t token = 0;
    return claims.holds(stream, &token) ? token : 0;
  }
};

TEST_F(ClaimsTest, TakesUpAGrantToItsIncarnationAndDeliversOneAcquire) {
  claims.apply(version(5, {{"s1", kA, kA, 5}, {"s2", kB, kB, 4}}), kA, kIncarnation);

  EXPECT_EQ(token_of("s1"), 5u);
  EXPECT_FALSE(claims.holds("s2", nullptr));
  EXPECT_FALSE(claims.holds("never-seen", nullptr));
  EXPECT_EQ(claims.held_count(), 1u);
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::acquire);
  EXPECT_EQ(events[0].stream, "s1");
  EXPECT_EQ(events[0].token, 5u);
  EXPECT_EQ(events[0].version, 5u);

  claims.apply(version(6, {{"s1", kA, kA, 5}, {"s2", kB, kB, 4}}), kA, kIncarnation);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(token_of("s1"), 5u);
}

TEST_F(ClaimsTest, AReleaseAfterTheLeaseDeadlineIsRefusedAndTheClaimIsRevokedLater) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  lease.store(1);  // the deadline passed long ago; the lease loop has not revoked anything yet
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_FALSE(claims.release("s1", 5)) << "a claim that already ended was released";
  claims.revoke_all(1);
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::revoked) << "the host is not told its claim ended";
  EXPECT_EQ(events[0].ended_ns, 1u);
}

TEST_F(ClaimsTest, NeverTakesUpAGrantToAnotherIncarnation) {
  // The snapshot still shows this server's earlier registration (incarnation 6).
  claims.apply(version(5, {{"s1", kA, kA, 5}}, 6), kA, kIncarnation);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_TRUE(drain().empty());

  claims.apply(version(6, {{"s1", kA, kA, 5}}, kIncarnation), kA, kIncarnation);
  EXPECT_EQ(token_of("s1"), 5u);
}

TEST_F(ClaimsTest, IncarnationZeroTakesNothingUp) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}, 0), kA, 0);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_TRUE(drain().empty());
}

TEST_F(ClaimsTest, AnIndexNamingAnotherServerCountsAsAbsent) {
  claims.apply(version(5, {{"s1", kB, kB, 5}}, 3), kB, 3);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_TRUE(drain().empty());
}

TEST_F(ClaimsTest, StaleVersionsReshowingAReleasedGrantAreNotTakenUpAgain) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  ASSERT_TRUE(claims.release("s1", 5));
  EXPECT_FALSE(claims.holds("s1", nullptr));

  // The leader has not seen the release yet: versions keep showing (a, 5), even a lower token.
  claims.apply(version(6, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  claims.apply(version(7, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  claims.apply(version(8, {{"s1", kA, kA, 4}}), kA, kIncarnation);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_EQ(claims.held_count(), 0u);
  EXPECT_TRUE(drain().empty());

  // A new grant has a higher token.
  claims.apply(version(9, {{"s1", kA, kA, 9}}), kA, kIncarnation);
  EXPECT_EQ(token_of("s1"), 9u);
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::acquire);
  EXPECT_EQ(events[0].token, 9u);
}

TEST_F(ClaimsTest, StaleVersionsReshowingARevokedGrantAreNotTakenUpAgain) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.revoke_all(monotonic_now_ns());
  drain();
  // Registered again under a new incarnation, and the leader re-grants the old token to it:
  // the given-up token is still refused.
  claims.apply(version(6, {{"s1", kA, kA, 5}}, 8), kA, 8);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_TRUE(drain().empty());
}

TEST_F(ClaimsTest, ForgetsAGivenUpTokenOnceAVersionShowsAnotherHolder) {
  // Versions only grow, so once one shows the stream with another holder, the released grant can
  // never be shown again: the memory of it goes (it is bounded by the snapshot's streams). A
  // version breaking that rule would be taken at its word, which this pins down.
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  ASSERT_TRUE(claims.release("s1", 5));
  claims.apply(version(6, {{"s1", kB, kB, 6}}), kA, kIncarnation);
  claims.apply(version(7, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  EXPECT_EQ(token_of("s1"), 5u);
}

TEST_F(ClaimsTest, AcquireRevokedBeforeDeliveryIsNeverDeliveredNorItsRevocation) {
  claims.apply(version(5, {{"s1", kA, kA, 5}, {"s2", kA, kA, 5}}), kA, kIncarnation);
  // s1 goes to b before the host polled.
  claims.apply(version(6, {{"s1", kB, kB, 6}, {"s2", kA, kA, 5}}), kA, kIncarnation);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::acquire);
  EXPECT_EQ(events[0].stream, "s2");
}

TEST_F(ClaimsTest, AcquireReleaseRequestAndRevocationUndeliveredLeaveNothing) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  claims.apply(version(6, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  claims.apply(version(7, {}), kA, kIncarnation);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(claims.held_count(), 0u);
}

TEST_F(ClaimsTest, RevocationOfADeliveredClaimReplacesItsUndeliveredReleaseRequest) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.apply(version(6, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  const uint64_t before = monotonic_now_ns();
  claims.apply(version(7, {{"s1", kB, kNobody, 0}}), kA, kIncarnation);
  const uint64_t after = monotonic_now_ns();
  EXPECT_FALSE(claims.holds("s1", nullptr));
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::revoked);
  EXPECT_EQ(events[0].token, 5u);
  EXPECT_EQ(events[0].version, 7u);
  EXPECT_GE(events[0].ended_ns, before);
  EXPECT_LE(events[0].ended_ns, after);
}

TEST_F(ClaimsTest, AsksForAReleaseOnceAndOnlyForAHeldStream) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.apply(version(6, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  claims.apply(version(7, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::release);
  EXPECT_EQ(events[0].token, 5u);
  EXPECT_EQ(events[0].version, 6u);
  EXPECT_EQ(token_of("s1"), 5u);  // held until the host acknowledges

  EXPECT_FALSE(claims.release("s1", 4));
  EXPECT_TRUE(claims.release("s1", 5));
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_FALSE(claims.release("s1", 5));
  // The leader still asks (it has not seen the acknowledgement): nothing to tell the host.
  claims.apply(version(8, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  EXPECT_TRUE(drain().empty());
  EXPECT_FALSE(claims.holds("s1", nullptr));
}

TEST_F(ClaimsTest, AsksAgainWhenTheOwnerCameBackAndLeftAgain) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  claims.apply(version(6, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  drain();
  claims.apply(version(7, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  claims.apply(version(8, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::release);
  EXPECT_EQ(events[0].version, 8u);
}

TEST_F(ClaimsTest, AnUndeliveredReleaseRequestIsWithdrawnWhenTheOwnerComesBack) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.apply(version(6, {{"s1", kB, kA, 5}}), kA, kIncarnation);
  claims.apply(version(7, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(token_of("s1"), 5u);
}

TEST_F(ClaimsTest, RevokesWhatASnapshotGivesToNobodyToAnotherOrDrops) {
  claims.apply(version(5, {{"s1", kA, kA, 5}, {"s2", kA, kA, 5}, {"s3", kA, kA, 5}, {"s4", kA, kA, 5}}), kA,
               kIncarnation);
  drain();
  claims.apply(version(6, {{"s1", kA, kNobody, 0}, {"s2", kB, kB, 6}, {"s4", kA, kA, 5}}), kA, kIncarnation);
  for (const char* gone : {"s1", "s2", "s3"}) EXPECT_FALSE(claims.holds(gone, nullptr)) << gone;
  EXPECT_EQ(token_of("s4"), 5u);
  const auto events = drain();
  ASSERT_EQ(events.size(), 3u);
  for (const Event& event : events) {
    EXPECT_EQ(event.kind, EventKind::revoked);
    EXPECT_EQ(event.version, 6u);
    EXPECT_NE(event.stream, "s4");
  }
}

TEST_F(ClaimsTest, RevokesEverythingWhenTheServerIsAbsentOrUnderAnotherIncarnation) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.apply(version(6, {{"s1", kA, kA, 5}}, 9), kA, kIncarnation);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  ASSERT_EQ(drain().size(), 1u);

  claims.apply(version(7, {{"s2", kA, kA, 7}}), kA, kIncarnation);
  ASSERT_EQ(token_of("s2"), 7u);
  drain();
  claims.apply(make_snapshot(8, {{"b", 3}}, {{"s2", 0, 0, 7}}), kNobody, kIncarnation);
  EXPECT_FALSE(claims.holds("s2", nullptr));
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, EventKind::revoked);
  EXPECT_EQ(events[0].stream, "s2");
}

TEST_F(ClaimsTest, ANewerGrantReplacesAnOlderClaim) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.apply(version(9, {{"s1", kA, kA, 9}}), kA, kIncarnation);
  EXPECT_EQ(token_of("s1"), 9u);
  const auto events = drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, EventKind::revoked);
  EXPECT_EQ(events[0].token, 5u);
  EXPECT_EQ(events[1].kind, EventKind::acquire);
  EXPECT_EQ(events[1].token, 9u);
}

TEST_F(ClaimsTest, EventsComeInTheOrderTheyHappened) {
  claims.apply(version(5, {{"s1", kA, kA, 5}, {"s2", kA, kA, 5}}), kA, kIncarnation);
  claims.apply(version(6, {{"s1", kA, kA, 5}, {"s2", kB, kA, 5}, {"s3", kA, kA, 6}}), kA, kIncarnation);
  const auto events = drain();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].version, 5u);
  EXPECT_EQ(events[1].version, 5u);
  EXPECT_EQ(events[2].kind, EventKind::release);
  EXPECT_EQ(events[2].stream, "s2");
  EXPECT_EQ(events[3].kind, EventKind::acquire);
  EXPECT_EQ(events[3].stream, "s3");
}

TEST_F(ClaimsTest, RevokeAllEndsEveryClaimAndBarsItsIncarnation) {
  claims.apply(version(5, {{"s1", kA, kA, 5}, {"s2", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.revoke_all(1234);
  EXPECT_FALSE(claims.holds("s1", nullptr));
  EXPECT_EQ(claims.held_count(), 0u);
  const auto events = drain();
  ASSERT_EQ(events.size(), 2u);
  for (const Event& event : events) {
    EXPECT_EQ(event.kind, EventKind::revoked);
    EXPECT_EQ(event.ended_ns, 1234u);
    EXPECT_EQ(event.version, 0u);
  }
  // A grant the leader made to that incarnation before it saw the claims end is not taken up.
  claims.apply(version(6, {{"s1", kA, kA, 5}, {"s3", kA, kA, 6}}), kA, kIncarnation);
  EXPECT_FALSE(claims.holds("s3", nullptr));
  EXPECT_TRUE(drain().empty());
  // A new registration's grants are.
  claims.apply(version(7, {{"s3", kA, kA, 7}}, 8), kA, 8);
  EXPECT_EQ(token_of("s3"), 7u);
}

TEST_F(ClaimsTest, HeldListsTheClaims) {
  claims.apply(version(5, {{"s1", kA, kA, 5}, {"s2", kA, kA, 4}, {"s3", kB, kB, 5}}), kA, kIncarnation);
  auto held = claims.held();
  std::sort(held.begin(), held.end());
  const std::vector<std::pair<std::string, uint64_t>> expected{{"s1", 5}, {"s2", 4}};
  EXPECT_EQ(held, expected);
}

TEST_F(ClaimsTest, HoldsIsFalseOnceTheLeaseDeadlinePassedWithoutAnyCall) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  lease = coarse_now_ns() + 150'000'000;
  EXPECT_TRUE(claims.holds("s1", nullptr));
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_FALSE(claims.holds("s1", nullptr));

  lease = coarse_now_ns() - 1;
  EXPECT_FALSE(claims.holds("s1", nullptr));
  lease = 0;
  EXPECT_FALSE(claims.holds("s1", nullptr));
}

TEST_F(ClaimsTest, ARevocationAfterTheLeaseEndedIsDatedAtTheLeaseEnd) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  drain();
  const uint64_t deadline = monotonic_now_ns() - 1'000'000;
  lease = deadline;
  claims.apply(version(6, {{"s1", kB, kB, 6}}), kA, kIncarnation);
  const auto events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].ended_ns, deadline);
}

TEST_F(ClaimsTest, CloseDeliversTheRevocationOfEveryDeliveredClaimThenNothing) {
  claims.apply(version(5, {{"s1", kA, kA, 5}, {"s2", kA, kA, 5}}), kA, kIncarnation);
  drain();
  claims.apply(version(6, {{"s1", kB, kA, 5}, {"s2", kA, kA, 5}}), kA, kIncarnation);  // s1: release asked
  const uint64_t ended = monotonic_now_ns();
  claims.close(ended);
  EXPECT_TRUE(claims.closed());
  EXPECT_FALSE(claims.holds("s1", nullptr));
  std::vector<std::string> revoked;
  while (auto e = claims.poll(std::chrono::steady_clock::now(), cancel)) {
    EXPECT_EQ(e->kind, EventKind::revoked) << e->stream;
    EXPECT_EQ(e->ended_ns, ended);
    revoked.push_back(e->stream);
  }
  std::sort(revoked.begin(), revoked.end());
  EXPECT_EQ(revoked, (std::vector<std::string>{"s1", "s2"}));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(claims.poll(start + std::chrono::seconds(30), cancel).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ClaimsTest, CloseEndsClaimsAndEveryPollReturnsAtOnce) {
  claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  claims.close(monotonic_now_ns());
  EXPECT_TRUE(claims.closed());
  EXPECT_FALSE(claims.holds("s1", nullptr));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(claims.poll(start + std::chrono::seconds(30), cancel).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  claims.apply(version(6, {{"s2", kA, kA, 6}}), kA, 8);
  EXPECT_FALSE(claims.holds("s2", nullptr));
}

TEST_F(ClaimsTest, PollWaitsForAnEventAndCancelEndsTheWait) {
  std::thread applier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    claims.apply(version(5, {{"s1", kA, kA, 5}}), kA, kIncarnation);
  });
  const auto event = claims.poll(std::chrono::steady_clock::now() + std::chrono::seconds(30), cancel);
  applier.join();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->stream, "s1");

  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel = true;
    claims.interrupt();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(claims.poll(start + std::chrono::seconds(30), cancel).has_value());
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(claims.closed());
}

TEST_F(ClaimsTest, PollReturnsNothingWhenTheTimeRunsOut) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(claims.poll(start + std::chrono::milliseconds(20), cancel).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace berth::ownership
