// A ZooKeeper client nobody in Berth wrote, acting on a Berth node from outside: closing its
// session (read through the backend's test-only hook, BERTH_ZK_TEST_SESSION_FILE) and deleting
// its member znode while its session lives (zk_expiry_test.cpp, zk_vanish_test.cpp).
#pragma once

#include <zookeeper/zookeeper.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

#include "common/child_io.h"
#include "history.h"
#include "zookeeper/zk_harness.h"
#include "zookeeper/zk_host_cluster.h"

namespace berth::test {

// A session of its own, connected (throws if not within 10 s).
inline zhandle_t* outside_client(const std::string& connect) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  zhandle_t* zh = zookeeper_init(connect.c_str(), nullptr, 10000, nullptr, nullptr, 0);
  if (zh == nullptr || !eventually([&] { return zoo_state(zh) == ZOO_CONNECTED_STATE; }, 10s))
    throw std::runtime_error("no session with ZooKeeper");
  return zh;
}

// Opens the session `id` from here and closes it: the server ends it for its owner too. The
// owner's client, cut off by the attach, may come back first and carry on: tried until the
// session's member znode `member` is gone.
struct Expired {
  uint64_t attached_ns;  // the first attach, which already cuts the node off: its revocations count from here
  uint64_t closed_ns;    // the close that ended the session
};
inline Expired expire(const std::string& connect, const clientid_t& id, const std::string& member) {
  zhandle_t* observer = outside_client(connect);
  const auto owned = [&] {
    Stat stat;
    return zoo_exists(observer, member.c_str(), 0, &stat) == ZOK && stat.ephemeralOwner == id.client_id;
  };
  uint64_t attached_ns = 0, closed_ns = 0;
  for (int attempt = 0; attempt < 20 && owned(); ++attempt) {
    if (attached_ns == 0) attached_ns = monotonic_ns();
    zhandle_t* zh = zookeeper_init(connect.c_str(), nullptr, static_cast<int>(kSessionMs), &id, nullptr, 0);
    if (zh == nullptr) throw std::runtime_error("zookeeper_init for the node's session failed");
    eventually([&] { return zoo_state(zh) == ZOO_CONNECTED_STATE; }, 5s);
    closed_ns = monotonic_ns();
    zookeeper_close(zh);
    eventually([&] { return !owned(); }, 500ms);
  }
  const bool gone = !owned();
  zookeeper_close(observer);
  if (!gone || closed_ns == 0) throw std::runtime_error("could not close the node's session from outside");
  return {attached_ns, closed_ns};
}

// Deletes the member znode `member` while its owner's session lives; returns when it did.
inline uint64_t delete_member(const std::string& connect, const std::string& member) {
  zhandle_t* zh = outside_client(connect);
  const int rc = zoo_delete(zh, member.c_str(), -1);
  const uint64_t deleted_ns = monotonic_ns();
  zookeeper_close(zh);
  if (rc != ZOK) throw std::runtime_error("delete " + member + ": " + zerror(rc));
  return deleted_ns;
}

// Three hosts serving every stream, and what to judge them by.
class OutsideFaults : public HostCluster {
 protected:
  // Every host on the server itself, or host i through connect[i].
  void settle(const std::vector<std::string>& connect = {}) {
    if (connect.empty()) start_hosts(zk_.connect_string());
    else start_hosts(connect);
    if (HasFatalFailure()) return;
    hosts_[0]->send("add " + std::to_string(kStreams));
    ASSERT_TRUE(hosts_[0]->wait_line([](const std::string& l) { return l == "ok add"; }, 0, 30s));
    ASSERT_TRUE(eventually([&] { return check_history_now().held_at_end == kStreams; }, 60s))
        << "the streams were never all held";
    ASSERT_TRUE(eventually([&] { return leader() >= 0; }, 30s));
  }
  berth::testing::HistoryVerdict check_history_now() const {
    return berth::testing::check_history(history(), 0, monotonic_ns());
  }
  // Revocations of host i at or after t_ns.
  size_t revoked_since(int i, uint64_t t_ns) const {
    size_t n = 0;
    for (const auto& e : history())
      if (e.kind == 'V' && e.host == "s" + std::to_string(i) && e.t_ns >= t_ns) ++n;
    return n;
  }
  // With `overlaps_too`, two hosts holding one stream at once fail the test too. Returns the verdict.
  berth::testing::HistoryVerdict judge(bool overlaps_too) {
    auto verdict = check_history_now();
    std::printf("history: %llu intervals, %llu overlaps, %llu token regressions\n",
                static_cast<unsigned long long>(verdict.intervals), static_cast<unsigned long long>(verdict.overlaps),
                static_cast<unsigned long long>(verdict.token_regressions));
    EXPECT_EQ(verdict.token_regressions, 0u);
    if (!overlaps_too) return verdict;
    EXPECT_EQ(verdict.overlaps, 0u);
    for (const std::string& example : verdict.examples) ADD_FAILURE() << example;
    return verdict;
  }

  ZkServer zk_;
};

}  // namespace berth::test
