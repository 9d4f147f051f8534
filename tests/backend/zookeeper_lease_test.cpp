// The zookeeper backend's lease and intake watch, against the real server of this test binary.
//
// The lease's promise: the member znode of an instance is never seen gone by another client
// before that instance's lease ends (valid_until_ns, CLOCK_MONOTONIC). Tested by cutting the
// instance off (a proxy that stops forwarding), watching from another session when the server
// removes its member, and comparing with every lease the instance reported.
#include <signal.h>
#include <time.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

#include "backend/backend_contract.h"
#include "backend/zk_test_support.h"
#include "zookeeper/node_process.h"
#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

using namespace std::chrono_literals;

uint64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

class ZooKeeperLeaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> open(const std::string& connect, const std::string& timeout, const WatchCounter* counter) {
    std::vector<PluginConfig::Entry> entries = {
        {"connect", connect, "test"}, {"root", root_, "test"}, {"session_timeout", timeout, "test"}};
    return std::make_unique<Backend>(plugin_, PluginConfig("backend", std::move(entries)),
                                     counter != nullptr ? counter->watch() : nullptr);
  }
  static bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
  // The sessions the server says watch `path` (four-letter word wchp).
  // Every watch the server holds, data and child watches of all sessions (mntr's zk_watch_count;
  // wchp lists data watches only).
  static long watch_count() {
    const size_t colon = zk_connect().rfind(':');
    const std::string report =
        zk_four_letter_word(zk_connect().substr(0, colon), std::stoi(zk_connect().substr(colon + 1)), "mntr");
    const std::string key = "zk_watch_count\t";
    const size_t at = report.find(key);
    return at == std::string::npos ? -1 : std::stol(report.substr(at + key.size()));
  }

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, "zookeeper");
  std::string root_ = fresh_zk_root();
};

TEST_F(ZooKeeperLeaseTest, TheSessionIsTheZooKeeperSessionAndTheLeaseFollowsTheTimeout) {
  auto a = open(zk_connect(), "3s", nullptr);
  const Backend::Lease first = a->lease();
  ASSERT_TRUE(first.held);
  a->join("m", "x");
  RawClient raw;
  Stat stat{};
  ASSERT_EQ(zoo_exists(raw.zh(), (root_ + "/members/m").c_str(), 0, &stat), ZOK);
  EXPECT_EQ(static_cast<uint64_t>(stat.ephemeralOwner), first.session) << "the member's owner is the lease's session";
  // Heartbeats every quarter of the 3 s session keep the deadline ahead of the clock for twice
  // the session's length (without them it would lapse after one). The session is seconds long so
  // that a stall of some hundred milliseconds on a loaded machine (under TSan too) cannot lapse it.
  for (int i = 0; i < 240; ++i) {
    std::this_thread::sleep_for(25ms);
    const Backend::Lease now = a->lease();
    const uint64_t t = now_ns();
    ASSERT_GT(now.valid_until_ns, t) << "poll " << i;
    EXPECT_LE(now.valid_until_ns, t + 3'000'000'000u) << "never beyond a session timeout from now";
    EXPECT_EQ(now.session, first.session);
  }
}

// Cut off for longer than its session: the server expires the session and removes the member,
// never before the lease the instance reported ends; after the cut heals, a new session.
TEST_F(ZooKeeperLeaseTest, AMemberIsGoneOnlyAfterTheLeaseOfItsSessionEnded) {
  const size_t colon = zk_connect().rfind(':');
  TcpProxy proxy(zk_connect().substr(0, colon), std::stoi(zk_connect().substr(colon + 1)));
  WatchCounter on_a;
  auto a = open(proxy.connect_string(), "2s", &on_a);
  a->join("leased", "x");
  const uint64_t session = a->lease().session;
  ASSERT_NE(session, 0u);

  // Every lease the instance reports while its first session is held, as fast as it can.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> latest_deadline{0};
  std::atomic<uint64_t> ended_at{0};
  std::thread poller([&] {
    while (!stop.load()) {
      const Backend::Lease lease = a->lease();
      if (lease.session == session && lease.held) {
        if (lease.valid_until_ns > latest_deadline.load()) latest_deadline.store(lease.valid_until_ns);
      } else if (ended_at.load() == 0) {
        ended_at.store(now_ns());
      }
      std::this_thread::sleep_for(200us);
    }
  });

  RawClient raw;
  const std::string member = root_ + "/members/leased";
  Stat stat{};
  ASSERT_EQ(zoo_exists(raw.zh(), member.c_str(), 0, &stat), ZOK);
  std::this_thread::sleep_for(300ms);  // a few heartbeats
  const uint64_t cut_at = now_ns();
  proxy.set_blocked(true);
  uint64_t gone_at = 0;
  const uint64_t give_up = cut_at + 10'000'000'000u;
  while (now_ns() < give_up) {
    int rc = zoo_exists(raw.zh(), member.c_str(), 0, &stat);
    if (rc == ZNONODE) {
      gone_at = now_ns();
      break;
    }
    std::this_thread::sleep_for(500us);
  }
  ASSERT_NE(gone_at, 0u) << "the server never expired the cut-off session";
  const uint64_t deadline = latest_deadline.load();
  RecordProperty("member_gone_after_lease_ms", std::to_string((static_cast<int64_t>(gone_at) - static_cast<int64_t>(deadline)) / 1'000'000));
  std::printf("cut at 0, lease ended at %+.1f ms, member gone at %+.1f ms\n", (deadline - cut_at) / 1e6,
              (gone_at - cut_at) / 1e6);
  EXPECT_GT(deadline, cut_at) << "the lease reached into the cut";
  EXPECT_GE(gone_at, deadline) << "the member was seen gone " << (deadline - gone_at) / 1e6
                               << " ms before the lease of its session ended";
  if (gone_at >= deadline) {
    EXPECT_LT(gone_at - deadline, 2'000'000'000u) << "the lease is not needlessly short of the session";
  }

  proxy.set_blocked(false);
  ASSERT_TRUE(eventually([&] {
    const Backend::Lease now = a->lease();
    return now.held && now.session != session;
  })) << "a new session after the expiry";
  EXPECT_NE(ended_at.load(), 0u) << "the lease read as not held, or of another session, once the old one expired";
  stop.store(true);
  poller.join();
  EXPECT_GT(a->lease().valid_until_ns, now_ns());
}

// A process stopped (SIGSTOP) for longer than its session: from another session, its member
// disappears only after the last lease the process reported before it stopped had ended.
TEST_F(ZooKeeperLeaseTest, AStoppedProcessLosesItsMemberOnlyAfterItsLastReportedLease) {
  NodeProcess child(BERTH_ZK_LEASE_HELPER, {zk_connect(), root_, "stopped", "2s"},
                    ::testing::TempDir() + "zk_lease_helper.log");
  ASSERT_TRUE(child.wait_line([](const std::string& line) { return line == "ready" || line.rfind("error", 0) == 0; },
                              0, 20s) == std::optional<std::string>("ready"))
      << child.log_tail();
  std::this_thread::sleep_for(400ms);  // a few heartbeats
  RawClient raw;
  const std::string member = root_ + "/members/stopped";
  Stat stat{};
  ASSERT_EQ(zoo_exists(raw.zh(), member.c_str(), 0, &stat), ZOK);
  const uint64_t owner = static_cast<uint64_t>(stat.ephemeralOwner);
  struct Reported {
    bool held = false;
    uint64_t until = 0, session = 0;
  };
  auto parse = [](const std::string& line) -> std::optional<Reported> {
    int held = 0;
    unsigned long long until = 0, session = 0;
    if (std::sscanf(line.c_str(), "lease %d %llu %llu", &held, &until, &session) != 3) return std::nullopt;
    return Reported{held == 1, until, session};
  };
  ASSERT_EQ(::kill(child.pid(), SIGSTOP), 0);
  const uint64_t stopped_at = now_ns();
  std::this_thread::sleep_for(20ms);  // lines in flight through the pipe arrive
  uint64_t reported = 0;
  for (const std::string& line : child.lines())
    if (auto lease = parse(line); lease && lease->held && lease->session == owner)
      reported = std::max(reported, lease->until);
  ASSERT_GT(reported, stopped_at) << "the process reported a lease reaching past the stop";
  uint64_t gone_at = 0;
  while (now_ns() < stopped_at + 10'000'000'000u) {
    if (zoo_exists(raw.zh(), member.c_str(), 0, &stat) == ZNONODE) {
      gone_at = now_ns();
      break;
    }
    std::this_thread::sleep_for(500us);
  }
  ::kill(child.pid(), SIGCONT);
  ASSERT_NE(gone_at, 0u) << "the stopped process's session never expired";
  std::printf("stopped at 0, last reported lease ended at %+.1f ms, member gone at %+.1f ms\n",
              (reported - stopped_at) / 1e6, (gone_at - stopped_at) / 1e6);
  EXPECT_GE(gone_at, reported) << "the member went " << (reported - gone_at) / 1e6
                               << " ms before the lease the process reported ended";
  // Resumed, it learns the session expired: the lease ends, then a new session.
  EXPECT_TRUE(child.wait_line(
      [&](const std::string& line) {
        auto lease = parse(line);
        return lease && lease->held && lease->session != owner;
      },
      0, 10s))
      << "no new session after resuming";
  child.kill_hard();
}

// Only the leader has a watch on intake/, on the server itself: an instance that takes the lead
// (the only candidate, so it watches no predecessor) adds exactly one watch, the child watch on
// intake/, and removes it when it resigns; had followers watched intake/, leading would add none.
// Its submissions then wake the leader alone.
TEST_F(ZooKeeperLeaseTest, OnlyTheLeaderWatchesTheIntake) {
  WatchCounter on_first, on_second;
  auto first = open(zk_connect(), "4s", &on_first);
  auto second = open(zk_connect(), "4s", &on_second);
  auto observer = open(zk_connect(), "4s", nullptr);
  const long following = watch_count();
  ASSERT_GE(following, 0) << "mntr gives no zk_watch_count";
  first->campaign();
  ASSERT_TRUE(eventually([&] { return first->leadership().is_leader == 1; }));
  // The leader's: the intake, and its own candidacy (whose deletion it must hear of).
  EXPECT_TRUE(eventually([&] { return watch_count() == following + 2; }))
      << "followers: " << following << " watches, with a leader: " << watch_count();

  for (int round = 1; round <= 3; ++round) {
    const int before = on_first.count(BERTH_CHANGED_INTAKE);
    observer->submit("record " + std::to_string(round));
    ASSERT_TRUE(on_first.wait_for(BERTH_CHANGED_INTAKE, before + 1, 10s)) << "round " << round;
    EXPECT_TRUE(eventually([&] { return watch_count() == following + 2; })) << "round " << round << ": set again";
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(on_second.count(BERTH_CHANGED_INTAKE), 0) << "a follower is not woken";

  first->resign();
  EXPECT_TRUE(eventually([&] { return watch_count() == following; })) << "the deposed leader's watch is removed";
  second->campaign();
  ASSERT_TRUE(eventually([&] { return second->leadership().is_leader == 1; }));
  EXPECT_TRUE(eventually([&] { return watch_count() == following + 2; }));
  const int first_before = on_first.count(BERTH_CHANGED_INTAKE);
  const int second_before = on_second.count(BERTH_CHANGED_INTAKE);
  observer->submit("after the move");
  EXPECT_TRUE(on_second.wait_for(BERTH_CHANGED_INTAKE, second_before + 1, 10s));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(on_first.count(BERTH_CHANGED_INTAKE), first_before) << "the deposed leader is not woken any more";
}

}  // namespace
}  // namespace berth::test
