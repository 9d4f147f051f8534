// The zookeeper backend's lease clock (plugins/backend/zookeeper/zk_lease.h): a suspension, begun
// when a watch sees the members change, keeps confirmed round trips from extending the lease until
// the worker finds every member registered again, and a new session ends it.
#include <gtest/gtest.h>

#include "zk_lease.h"

namespace berth::zk {
namespace {

constexpr int kTimeoutMs = 1000;
constexpr uint64_t kMs = 1'000'000;

TEST(LeaseClock, AConfirmedRoundTripExtendsTheLeaseByOneTimeoutFromItsSending) {
  LeaseClock lease;
  lease.start(7, 100 * kMs, kTimeoutMs);
  lease.confirm(7, 300 * kMs);
  EXPECT_EQ(lease.read().valid_until_ns, (300 + kTimeoutMs) * kMs);
}

TEST(LeaseClock, WhileSuspendedAConfirmedRoundTripExtendsNothing) {
  LeaseClock lease;
  lease.start(7, 100 * kMs, kTimeoutMs);
  lease.suspend();
  EXPECT_TRUE(lease.suspended());
  lease.confirm(7, 300 * kMs);
  EXPECT_EQ(lease.read().valid_until_ns, (100 + kTimeoutMs) * kMs);
  EXPECT_TRUE(lease.read().held) << "suspended is not ended: the lease runs out on its own";
}

TEST(LeaseClock, AResumeAfterTheLastSuspensionLetsRoundTripsExtendAgain) {
  LeaseClock lease;
  lease.start(7, 100 * kMs, kTimeoutMs);
  lease.suspend();
  lease.resume(lease.suspensions());
  EXPECT_FALSE(lease.suspended());
  lease.confirm(7, 300 * kMs);
  EXPECT_EQ(lease.read().valid_until_ns, (300 + kTimeoutMs) * kMs);
}

TEST(LeaseClock, AResumeFromACheckBegunBeforeAnotherSuspensionKeepsItSuspended) {
  LeaseClock lease;
  lease.start(7, 100 * kMs, kTimeoutMs);
  lease.suspend();
  const uint64_t seen = lease.suspensions();  // the worker starts its check here
  lease.suspend();                            // a member deleted while it checks
  lease.resume(seen);
  EXPECT_TRUE(lease.suspended());
  lease.confirm(7, 300 * kMs);
  EXPECT_EQ(lease.read().valid_until_ns, (100 + kTimeoutMs) * kMs);
}

TEST(LeaseClock, ANewSessionEndsASuspension) {
  LeaseClock lease;
  lease.start(7, 100 * kMs, kTimeoutMs);
  lease.suspend();
  lease.start(8, 2000 * kMs, kTimeoutMs);
  EXPECT_FALSE(lease.suspended());
  lease.confirm(8, 2100 * kMs);
  EXPECT_EQ(lease.read().valid_until_ns, (2100 + kTimeoutMs) * kMs);
}

}  // namespace
}  // namespace berth::zk
