// Contract: every backend reports a lease (plugin ABI 1.4), and what its session registered is
// never seen gone by another instance while that lease is valid.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "backend/backend_contract.h"

namespace berth::test {
namespace {

uint64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

bool has_member(Backend& backend, const std::string& id) {
  for (const auto& [member, info] : backend.members())
    if (member == id) return true;
  return false;
}

TEST_P(BackendContract, ALeaseIsHeldFromCreateWithASessionAndAFutureDeadline) {
  auto a = open();
  ASSERT_TRUE(a->supports_lease()) << "every built-in backend reports its lease";
  const Backend::Lease first = a->lease();
  EXPECT_TRUE(first.held);
  EXPECT_NE(first.session, 0u);
  EXPECT_GT(first.valid_until_ns, now_ns());
}

TEST_P(BackendContract, TheLeaseSessionStaysWhileNothingHappensToIt) {
  auto a = open();
  auto b = open();
  const uint64_t session = a->lease().session;
  a->join("a-1", "x");
  a->campaign();
  b->join("b-1", "y");
  ASSERT_TRUE(eventually([&] { return member_ids(*b).size() == 2; }));
  for (int i = 0; i < 20; ++i) {
    const Backend::Lease now = a->lease();
    EXPECT_TRUE(now.held) << "poll " << i;
    EXPECT_EQ(now.session, session) << "poll " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_NE(b->lease().session, session) << "two instances are two sessions";
}

// The lease's deadline never moves back while its session lives.
TEST_P(BackendContract, TheLeaseDeadlineNeverGoesBackWithinASession) {
  auto a = open();
  Backend::Lease last = a->lease();
  for (int i = 0; i < 50; ++i) {
    const Backend::Lease now = a->lease();
    ASSERT_TRUE(now.held);
    ASSERT_EQ(now.session, last.session);
    EXPECT_GE(now.valid_until_ns, last.valid_until_ns) << "poll " << i;
    last = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Another instance looking at the members while the first holds a valid lease always sees its
// member; the lease is read before each look, so a member missing while the deadline read just
// before lies ahead would be a breach.
TEST_P(BackendContract, AMemberIsNotSeenGoneWhileItsLeaseIsValid) {
  auto a = open();
  auto b = open();
  a->join("a-1", "x");
  ASSERT_TRUE(eventually([&] { return has_member(*b, "a-1"); }));
  for (int i = 0; i < 100; ++i) {
    const Backend::Lease lease = a->lease();
    const uint64_t looked_at = now_ns();
    const bool present = has_member(*b, "a-1");
    if (lease.held && lease.valid_until_ns > looked_at) {
      ASSERT_TRUE(present) << "look " << i << ": gone " << (lease.valid_until_ns - looked_at) / 1000
                           << " us before the lease ends";
    }
  }
}

// The lease may be read from any thread while the instance is busy with other calls.
TEST_P(BackendContract, TheLeaseCanBeReadConcurrentlyWithOtherCalls) {
  auto a = open();
  const uint64_t session = a->lease().session;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, unheld{0};
  std::thread poller([&] {
    while (!stop.load()) {
      const Backend::Lease lease = a->lease();
      if (!lease.held || lease.session != session) unheld.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  for (int i = 0; i < 20 || (reads.load() < 50 && i < 100000); ++i) {
    a->join("a-" + std::to_string(i % 20), std::to_string(i));
    a->members();
    a->leadership();
  }
  stop.store(true);
  poller.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(unheld.load(), 0);
}

}  // namespace
}  // namespace berth::test
