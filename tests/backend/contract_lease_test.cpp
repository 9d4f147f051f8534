// Contract: every backend reports a lease (plugin ABI 1.4), and what its session registered is
// never seen gone by another instance while that lease is valid.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

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

// A member that can vanish from outside (deleted, its session closed by someone else) may still
// believe it holds until its lease ends: the wait the leader keeps its streams from anyone else
// (plugin ABI 1.6) covers every lease it reports. Elsewhere a member goes only with its session,
// after its lease, and the wait is 0.
TEST_P(BackendContract, TheVanishWaitCoversTheLeaseWhereMembersCanVanishFromOutsideAndIsZeroElsewhere) {
  auto a = open();
  a->join("a-1", "x");
  for (int i = 0; i < 10; ++i) {
    const uint64_t before = now_ns();
    const Backend::Lease l = a->lease();
    ASSERT_TRUE(l.held);
    if (!GetParam().members_vanish_from_outside) {
      EXPECT_EQ(l.vanish_wait_ns, 0u) << "poll " << i;
    } else {
      ASSERT_NE(l.valid_until_ns, UINT64_MAX);
      EXPECT_GT(l.vanish_wait_ns, 0u) << "poll " << i;
      EXPECT_GE(l.vanish_wait_ns, l.valid_until_ns - std::min(before, l.valid_until_ns)) << "poll " << i;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
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

// An instance's session ends without its cooperation (GetParam().severable); another instance
// watches its member go. No lease the instance reported may outlast that: a reading with a
// deadline must end no later than the moment the member was seen gone, and an endless one
// (valid until the instance says otherwise) must have been read before it.
TEST_P(BackendContract, AMemberIsNotSeenGoneWhileItsLeaseIsValid) {
  ASSERT_TRUE(GetParam().severable) << "backend '" << GetParam().plugin << "' gives the contract no way to end a session";
  auto b = open();
  const BackendUnderTest::Severable severable = GetParam().severable(cluster_);
  auto a = std::make_unique<Backend>(plugin_, PluginConfig("backend", severable.entries), nullptr);
  a->join("a-1", "x");
  ASSERT_TRUE(eventually([&] { return has_member(*b, "a-1"); }));
  const uint64_t session = a->lease().session;

  struct Reading {
    uint64_t at;
    Backend::Lease lease;
  };
  std::vector<Reading> readings;
  auto read = [&] {
    const Backend::Lease lease = a->lease();
    readings.push_back({now_ns(), lease});
  };
  for (int i = 0; i < 5; ++i) read();
  ASSERT_TRUE(a->lease().held);
  severable.sever(*a);
  uint64_t gone_at = 0;
  const auto give_up = std::chrono::steady_clock::now() + settle();
  while (gone_at == 0 && std::chrono::steady_clock::now() < give_up) {
    read();
    const bool present = has_member(*b, "a-1");
    const uint64_t looked = now_ns();
    if (!present) gone_at = looked;
    else std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_NE(gone_at, 0u) << "the member never went after its session was ended";
  for (int i = 0; i < 5; ++i) read();

  size_t held = 0;
  for (size_t i = 0; i < readings.size(); ++i) {
    const Reading& r = readings[i];
    if (!r.lease.held || r.lease.session != session) continue;
    ++held;
    if (r.lease.valid_until_ns == UINT64_MAX) {
      EXPECT_LT(r.at, gone_at) << "reading " << i << " of " << readings.size() << ": an endless lease reported "
                               << (r.at - gone_at) / 1000 << " us after the member was seen gone";
    } else {
      EXPECT_LE(r.lease.valid_until_ns, gone_at) << "reading " << i << " of " << readings.size()
                                                 << ": the member was seen gone "
                                                 << (r.lease.valid_until_ns - gone_at) / 1000
                                                 << " us before the lease it reported ends";
    }
  }
  EXPECT_GE(held, 5u) << "the leases read before the session ended were held";
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
