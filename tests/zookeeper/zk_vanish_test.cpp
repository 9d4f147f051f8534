// A holder that vanishes from outside (docs/ownership.md, "Lapsing holds"): its member znode
// deleted by another client while its session lives, or its session closed by another client.
// The leader grants its streams to nobody for the session timeout; its node stops serving first.
// The history checker judges every host's log: no stream held by two hosts at once, tokens grow,
// every stream held again afterwards. A holder cut off from ZooKeeper when it vanishes cannot
// hear of it and serves until its lease lapses: there the broken variant (ownership.vanish_wait =
// 0, through BERTH_HOST_VANISH_WAIT) must show overlaps, the proof that the wait is what keeps
// them apart and that the checker sees the window. (A holder that can hear mostly revokes before
// the leader publishes, so without the cut the broken variant overlaps only by chance.)
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_outside_client.h"

namespace {

using namespace std::chrono_literals;
using namespace berth::test;

class Vanish : public OutsideFaults {
 protected:
  void SetUp() override { ::unsetenv("BERTH_HOST_VANISH_WAIT"); }
  void TearDown() override {
    ::unsetenv("BERTH_HOST_VANISH_WAIT");
    OutsideFaults::TearDown();
  }
  std::string member(int i) const { return root_ + "/members/s" + std::to_string(i); }
  // Every stream held again and every node on one version, within the wait and then some.
  void expect_served_again(int node) {
    EXPECT_TRUE(eventually([&] { return check_history_now().held_at_end == kStreams && converged(); }, 40s))
        << "the cluster never settled after s" << node << " vanished\n"
        << hosts_[node]->log_tail();
  }
  // Closes a follower's session from outside, up to `times` times (another follower each time)
  // until the history shows an overlap; returns the overlaps.
  // Each host through a proxy of its own, every stream held.
  void settle_behind_proxies() {
    std::vector<std::string> connect;
    for (int i = 0; i < 3; ++i) {
      proxies_.push_back(std::make_unique<TcpProxy>(zk_.host(), zk_.port()));
      connect.push_back(proxies_.back()->connect_string());
    }
    settle(connect);
  }
  // Cuts a follower off (every byte either way swallowed), makes it vanish from outside, waits
  // for its lease to lapse, heals and lets the cluster settle; returns the overlaps seen.
  template <class Vanishing>
  uint64_t vanish_cut_off_follower(Vanishing vanishing) {
    const int node = (leader() + 1) % 3;
    const uint64_t cut_ns = monotonic_ns();
    proxies_[node]->set_black_hole(true, true);
    vanishing(node);
    EXPECT_TRUE(eventually([&] { return revoked_since(node, cut_ns) > 0; }, 15s))
        << "s" << node << " revoked nothing after it was cut off";
    proxies_[node]->heal();
    expect_served_again(node);
    return check_history_now().overlaps;
  }
  void close_session(int node) {
    expire(zk_.connect_string(), read_session(dir_ + "/s" + std::to_string(node) + ".session"), member(node));
  }
  void delete_member_of(int node) { delete_member(zk_.connect_string(), member(node)); }

  uint64_t close_followers_sessions(int times) {
    uint64_t overlaps = 0;
    for (int k = 0; k < times && overlaps == 0; ++k) {
      const int node = (leader() + 1 + k % 2) % 3;
      const uint64_t closed_ns =
          expire(zk_.connect_string(), read_session(dir_ + "/s" + std::to_string(node) + ".session"), member(node))
              .attached_ns;
      EXPECT_TRUE(eventually([&] { return revoked_since(node, closed_ns) > 0; }, 15s))
          << "s" << node << " revoked nothing after its session was closed";
      expect_served_again(node);
      overlaps = check_history_now().overlaps;
    }
    return overlaps;
  }

  std::vector<std::unique_ptr<TcpProxy>> proxies_;
};

TEST_F(Vanish, AFollowersDeletedMemberLapsesItsNodeRevokesAndNoOtherHostHoldsItsStreamsMeanwhile) {
  ASSERT_NO_FATAL_FAILURE(settle());
  const int node = (leader() + 1) % 3;
  const uint64_t deleted_ns = delete_member(zk_.connect_string(), member(node));
  EXPECT_TRUE(eventually([&] { return revoked_since(node, deleted_ns) > 0; }, 15s))
      << "s" << node << " revoked nothing after its member was deleted";
  expect_served_again(node);
  std::printf("s%d: %zu claims revoked after its member was deleted\n", node, revoked_since(node, deleted_ns));
  judge(true);
}

TEST_F(Vanish, TheLeadersDeletedMemberLapsesItsNodeRevokesAndNoOtherHostHoldsItsStreamsMeanwhile) {
  ASSERT_NO_FATAL_FAILURE(settle());
  const int node = leader();
  const uint64_t deleted_ns = delete_member(zk_.connect_string(), member(node));
  EXPECT_TRUE(eventually([&] { return revoked_since(node, deleted_ns) > 0; }, 15s))
      << "s" << node << " revoked nothing after its member was deleted";
  expect_served_again(node);
  judge(true);
}

TEST_F(Vanish, ClosedSessionsOfFollowersLeaveNoOverlapWithTheWait) {
  ASSERT_NO_FATAL_FAILURE(settle());
  EXPECT_EQ(close_followers_sessions(3), 0u);
  judge(true);
}

TEST_F(Vanish, ACutOffFollowersClosedSessionLeavesNoOverlapWithTheWait) {
  ASSERT_NO_FATAL_FAILURE(settle_behind_proxies());
  EXPECT_EQ(vanish_cut_off_follower([&](int node) { close_session(node); }), 0u);
  judge(true);
}

TEST_F(Vanish, ACutOffFollowersDeletedMemberLeavesNoOverlapWithTheWait) {
  ASSERT_NO_FATAL_FAILURE(settle_behind_proxies());
  EXPECT_EQ(vanish_cut_off_follower([&](int node) { delete_member_of(node); }), 0u);
  judge(true);
}

// The broken variants: without the wait, another host is granted the streams of a holder that
// cannot hear it vanished, while it still serves them. The overlap lasts from that grant to the
// end of the holder's lease, at most a session timeout after the cut and less when the lease was
// last extended a while before it (a change of the members suspends extension until the node has
// registered again): long sessions keep that window seconds wide, far more than the grant takes.
TEST_F(Vanish, WithoutTheWaitTheCheckerSeesAnotherHostHoldACutOffClosedSessionsStreams) {
  ::setenv("BERTH_HOST_VANISH_WAIT", "0ms", 1);
  session_ms_ = kLongSessionMs;
  ASSERT_NO_FATAL_FAILURE(settle_behind_proxies());
  const uint64_t overlaps = vanish_cut_off_follower([&](int node) { close_session(node); });
  std::printf("without the wait, session closed: %llu overlaps\n", static_cast<unsigned long long>(overlaps));
  EXPECT_GT(overlaps, 0u) << "the checker saw no overlap without the wait: it cannot prove the wait is needed";
  judge(false);
}

TEST_F(Vanish, WithoutTheWaitTheCheckerSeesAnotherHostHoldACutOffDeletedMembersStreams) {
  ::setenv("BERTH_HOST_VANISH_WAIT", "0ms", 1);
  session_ms_ = kLongSessionMs;
  ASSERT_NO_FATAL_FAILURE(settle_behind_proxies());
  const uint64_t overlaps = vanish_cut_off_follower([&](int node) { delete_member_of(node); });
  std::printf("without the wait, member deleted: %llu overlaps\n", static_cast<unsigned long long>(overlaps));
  EXPECT_GT(overlaps, 0u) << "the checker saw no overlap without the wait: it cannot prove the wait is needed";
  judge(false);
}

}  // namespace
