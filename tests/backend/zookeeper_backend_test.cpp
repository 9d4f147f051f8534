// The backend contract for `zookeeper`, against a real ZooKeeper 3.8 server started by the
// harness (tests/zookeeper) once per test binary (zk_test_support); every test gets a root znode
// of its own. BERTH_TEST_ZK=host:port uses a running server instead.
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "backend/backend_contract.h"
#include "backend/watch_counter.h"
#include "backend/zk_test_support.h"
#include "config/options.h"
#include "engine/engine.h"
#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_harness.h"

namespace berth::test {
namespace {

std::string fresh_root() { return fresh_zk_root(); }

BackendUnderTest zookeeper_backend() {
  BackendUnderTest backend;
  backend.plugin = "zookeeper";
  backend.fresh_cluster = [] {
    return std::vector<PluginConfig::Entry>{{"connect", zk_connect(), "zookeeper_backend_test"},
                                            {"root", fresh_root(), "zookeeper_backend_test"},
                                            {"session_timeout", "10s", "zookeeper_backend_test"}};
  };
  backend.settle = std::chrono::seconds(10);
  backend.stress_rounds = 100;
  backend.severable = zk_severable;
  backend.members_vanish_from_outside = true;
  backend.delete_candidates = [](const std::vector<PluginConfig::Entry>& cluster) {
    std::string root;
    for (const auto& entry : cluster)
      if (entry.key == "root") root = entry.value;
    RawClient raw;
    for (const std::string& name : raw.children(root + "/election")) {
      const std::string path = root + "/election/" + name;
      int rc = zoo_delete(raw.zh(), path.c_str(), -1);
      if (rc != ZOK && rc != ZNONODE) FAIL() << "delete " << path << ": " << zerror(rc);
    }
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(ZooKeeper, BackendContract, ::testing::Values(zookeeper_backend()), backend_test_name);
INSTANTIATE_TEST_SUITE_P(ZooKeeper, BackendContractDeletedCandidacy, ::testing::Values(zookeeper_backend()), backend_test_name);

class ZooKeeperBackendTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> open(std::vector<PluginConfig::Entry> extra = {}) {
    std::vector<PluginConfig::Entry> entries = {{"connect", zk_connect(), "test"}, {"root", root_, "test"}};
    entries.insert(entries.end(), extra.begin(), extra.end());
    return std::make_unique<Backend>(plugin_, PluginConfig("backend", std::move(entries)), nullptr);
  }
  bool eventually(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, "zookeeper");
  std::string root_ = fresh_root();
};

TEST_F(ZooKeeperBackendTest, DescribesItself) {
  EXPECT_EQ(plugin_->name, "zookeeper");
  EXPECT_EQ(plugin_->kind, BERTH_PLUGIN_BACKEND);
  EXPECT_FALSE(plugin_->version.empty());
}

TEST_F(ZooKeeperBackendTest, ConfigMistakesNameTheKey) {
  Failure missing = failure_of([&] { Backend b(plugin_, PluginConfig("backend", {}), nullptr); });
  EXPECT_EQ(missing.code, BERTH_E_CONFIG);
  EXPECT_NE(missing.message.find("connect"), std::string::npos) << missing.message;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"root", "relative"}, {"root", "/trailing/"}, {"root", "/a//b"}, {"session_timeout", "4d"},
           {"session_timeout", "fast"}, {"session_timeout", "0s"}, {"session_timeout", "601s"},
           {"snapshot_codec", "lz4"}}) {
    Failure failure = failure_of([&] {
      Backend b(plugin_, PluginConfig("backend", {{"connect", zk_connect(), "t"}, {key, value, "berth.toml:4"}}), nullptr);
    });
    EXPECT_EQ(failure.code, BERTH_E_CONFIG) << key << "=" << value;
    EXPECT_NE(failure.message.find(key), std::string::npos) << failure.message;
  }
}

TEST_F(ZooKeeperBackendTest, ARegenerationWindowBelowTheSessionTimeoutIsRefusedNamingBoth) {
  Failure failure = failure_of([&] {
    Backend b(plugin_,
              PluginConfig("backend", {{"connect", zk_connect(), "t"},
                                       {"session_timeout", "4s", "berth.toml:3"},
                                       {"regeneration_window", "3s", "berth.toml:4"}}),
              nullptr);
  });
  EXPECT_EQ(failure.code, BERTH_E_CONFIG);
  for (const char* part : {"regeneration_window", "3000 ms", "session_timeout", "4000 ms"})
    EXPECT_NE(failure.message.find(part), std::string::npos) << part << " in: " << failure.message;
  // At the session timeout, and above, it opens.
  EXPECT_NO_THROW(Backend(plugin_,
                          PluginConfig("backend", {{"connect", zk_connect(), "t"},
                                                   {"root", root_, "t"},
                                                   {"session_timeout", "4s", "t"},
                                                   {"regeneration_window", "4s", "t"}}),
                          nullptr));
}

TEST_F(ZooKeeperBackendTest, AnUnreachableEnsembleIsUnavailable) {
  const int port = zk_free_port();  // nothing listens there
  Failure failure = failure_of([&] {
    Backend b(plugin_,
              PluginConfig("backend", {{"connect", "127.0.0.1:" + std::to_string(port), "t"},
                                       {"session_timeout", "400ms", "t"}}),
              nullptr);
  });
  EXPECT_EQ(failure.code, BERTH_E_UNAVAILABLE) << failure.message;
  EXPECT_NE(failure.message.find("could not connect to '127.0.0.1:" + std::to_string(port) + "'"), std::string::npos)
      << failure.message;
}

TEST_F(ZooKeeperBackendTest, NoZnodeHoldsMoreThanAMegabyteAndOldVersionsAreCollected) {
  auto leader = open();
  leader->campaign();
  ASSERT_TRUE(eventually([&] { return leader->leadership().is_leader == 1; }));
  uint64_t epoch = leader->leadership().epoch;
  const std::string big = incompressible_bytes(3u << 20);  // stored in 24 chunks: compression cannot shrink it
  for (uint64_t v = 1; v <= 4; ++v) leader->publish(epoch, v, big + std::to_string(v));
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  int nodes = 0;
  raw.walk(root_, [&](const std::string& path, const Stat& stat) {
    ++nodes;
    EXPECT_LE(stat.dataLength, 1 << 20) << path;
  });
  EXPECT_GT(nodes, 10);
  EXPECT_TRUE(eventually([&] { return raw.children(root_ + "/snapshots/versions").size() == 2u; }))
      << "the last two versions are kept, the others collected";
  EXPECT_EQ(leader->fetch(3).second, big + "4");
}

// The leader's own settling removes records under intake/, which fires its child watch: that
// change brings nothing to take, so it must not wake the leader's host for a needless pass, while
// a record submitted after it still must.
TEST_F(ZooKeeperBackendTest, SettlingWakesNobodyAndTheNextRecordStillDoes) {
  WatchCounter on_leader;
  Backend leader(plugin_, PluginConfig("backend", {{"connect", zk_connect(), "test"}, {"root", root_, "test"}}),
                 on_leader.watch());
  leader.campaign();
  ASSERT_TRUE(eventually([&] { return leader.leadership().is_leader == 1; }));
  auto submitter = open();
  int woken = on_leader.count(BERTH_CHANGED_INTAKE);
  submitter->submit("one");
  submitter->submit("two");
  ASSERT_TRUE(on_leader.wait_for(BERTH_CHANGED_INTAKE, woken + 1, std::chrono::seconds(10)));
  std::vector<std::pair<std::string, std::string>> pending;
  ASSERT_TRUE(eventually([&] { return (pending = leader.peek_intake()).size() == 2; }));
  // Every wake-up of the submissions is in once the count has stood still for 300 ms; a loaded
  // machine may deliver one late, so a fixed sleep would not do.
  woken = on_leader.count(BERTH_CHANGED_INTAKE);
  for (auto still_since = std::chrono::steady_clock::now(), give_up = still_since + std::chrono::seconds(10);
       std::chrono::steady_clock::now() - still_since < std::chrono::milliseconds(300);) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the submissions kept waking the leader";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (const int now = on_leader.count(BERTH_CHANGED_INTAKE); now != woken) {
      woken = now;
      still_since = std::chrono::steady_clock::now();
    }
  }
  leader.settle_intake({pending[0].first, pending[1].first});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(on_leader.count(BERTH_CHANGED_INTAKE), woken) << "removing records woke the leader";
  EXPECT_TRUE(leader.peek_intake().empty());
  submitter->submit("three");
  EXPECT_TRUE(on_leader.wait_for(BERTH_CHANGED_INTAKE, woken + 1, std::chrono::seconds(10)));
  ASSERT_TRUE(eventually([&] { return leader.peek_intake().size() == 1; }));
  EXPECT_EQ(leader.peek_intake()[0].second, "three");
}

// `latest` deleted from outside: the watch on it is set again (exists() sets it on a missing node
// too), so the host hears of the deletion once, not in a loop of failed re-arms.
TEST_F(ZooKeeperBackendTest, ADeletedLatestIsReportedOnceNotInALoop) {
  WatchCounter on_reader;
  Backend reader(plugin_, PluginConfig("backend", {{"connect", zk_connect(), "test"}, {"root", root_, "test"}}),
                 on_reader.watch());
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  const int before = on_reader.count(BERTH_CHANGED_SNAPSHOT);
  ASSERT_EQ(zoo_delete(raw.zh(), (root_ + "/snapshots/latest").c_str(), -1), ZOK);
  EXPECT_TRUE(on_reader.wait_for(BERTH_CHANGED_SNAPSHOT, before + 1, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_LE(on_reader.count(BERTH_CHANGED_SNAPSHOT) - before, 5) << "snapshot notifications in 1 s after the deletion";
}

// An operator rolls `latest` back to an older version (based on another) after a publication and
// before its collection runs: the collection reads `latest` again and keeps what it names.
TEST_F(ZooKeeperBackendTest, TheCollectionKeepsWhatALatestRolledBackNames) {
  auto leader = open();
  ASSERT_TRUE(leader->supports_deltas());
  leader->campaign();
  ASSERT_TRUE(eventually([&] { return leader->leadership().is_leader == 1; }));
  const uint64_t epoch = leader->leadership().epoch;
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  const std::string latest = root_ + "/snapshots/latest";
  leader->publish(epoch, 1, "one");
  leader->publish_based(epoch, 2, 1, "two");
  std::string rolled_back(256, '\0');
  int length = static_cast<int>(rolled_back.size());
  ASSERT_EQ(zoo_get(raw.zh(), latest.c_str(), 0, rolled_back.data(), &length, nullptr), ZOK);
  rolled_back.resize(static_cast<size_t>(length));
  for (uint64_t v = 3; v <= 5; ++v) leader->publish(epoch, v, "v" + std::to_string(v));
  // Within the collection's quiet period (100 ms after the last publication).
  ASSERT_EQ(zoo_set(raw.zh(), latest.c_str(), rolled_back.data(), static_cast<int>(rolled_back.size()), -1), ZOK);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the collection is due within 1 s
  EXPECT_EQ(leader->fetch_version(2), "two") << "the version `latest` names";
  EXPECT_EQ(leader->fetch_version(1), "one") << "its base";
  const Backend::Latest now = leader->fetch_latest(0);
  EXPECT_EQ(now.version, 2u);
  EXPECT_EQ(now.base_version, 1u);
  EXPECT_EQ(now.bytes, "two");
}

// `latest` overwritten with something unreadable before the collection runs: what it needs is
// unknown, so the collection removes nothing.
TEST_F(ZooKeeperBackendTest, TheCollectionRemovesNothingWhileLatestIsUnreadable) {
  auto leader = open();
  leader->campaign();
  ASSERT_TRUE(eventually([&] { return leader->leadership().is_leader == 1; }));
  const uint64_t epoch = leader->leadership().epoch;
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  for (uint64_t v = 1; v <= 5; ++v) leader->publish(epoch, v, "v" + std::to_string(v));
  const std::string garbage = "not a pointer";
  ASSERT_EQ(zoo_set(raw.zh(), (root_ + "/snapshots/latest").c_str(), garbage.data(), static_cast<int>(garbage.size()), -1),
            ZOK);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the collection is due within 1 s
  EXPECT_EQ(raw.children(root_ + "/snapshots/versions").size(), 5u);
}

TEST_F(ZooKeeperBackendTest, ALeaderWhoseCandidacyVanishedIsFenced) {
  // What a session expiry does to a leader: its ephemeral candidate znode is gone. The publish's
  // multi-op must notice, even though the instance has not heard about it yet.
  auto leader = open();
  leader->campaign();
  ASSERT_TRUE(eventually([&] { return leader->leadership().is_leader == 1; }));
  uint64_t epoch = leader->leadership().epoch;
  leader->publish(epoch, 1, "one");
  RawClient raw;
  ASSERT_NE(raw.zh(), nullptr);
  auto candidates = raw.children(root_ + "/election");
  ASSERT_EQ(candidates.size(), 1u);
  ASSERT_EQ(zoo_delete(raw.zh(), (root_ + "/election/" + candidates[0]).c_str(), -1), ZOK);
  Failure failure = failure_of([&] { leader->publish(epoch, 2, "two"); });
  EXPECT_EQ(failure.code, BERTH_E_FENCED) << failure.message;
  EXPECT_EQ(leader->fetch(0), (std::pair<uint64_t, std::string>{1, "one"}));
  // Its session lives and it still campaigns: it stands again, and leads only at a new epoch.
  EXPECT_TRUE(eventually([&] {
    const auto now = leader->leadership();
    return now.is_leader == 1 && now.epoch > epoch;
  }));
  EXPECT_EQ(failure_of([&] { leader->publish(epoch, 2, "two"); }).code, BERTH_E_FENCED) << "never at the old epoch";
}


// A real session expiry: the leader's connection goes through a proxy that is cut for longer than
// its session timeout. Its session expires on the server, the other candidate takes over with a
// higher epoch, and once the partition heals the old leader gets a new session, registers its
// members and candidacy again, and is fenced at its old epoch.
TEST_F(ZooKeeperBackendTest, AfterASessionExpiryTheOldLeaderIsFencedAndRegistersAgain) {
  const size_t colon = zk_connect().rfind(':');
  TcpProxy proxy(zk_connect().substr(0, colon), std::stoi(zk_connect().substr(colon + 1)));
  WatchCounter on_old;
  std::vector<PluginConfig::Entry> entries = {{"connect", proxy.connect_string(), "test"},
                                              {"root", root_, "test"},
                                              {"session_timeout", "2s", "test"}};
  auto old_leader = std::make_unique<Backend>(plugin_, PluginConfig("backend", entries), on_old.watch());
  auto next = open();
  old_leader->join("old-member", "x");
  old_leader->campaign();
  ASSERT_TRUE(eventually([&] { return old_leader->leadership().is_leader == 1; }));
  const uint64_t old_epoch = old_leader->leadership().epoch;
  old_leader->publish(old_epoch, 1, "one");
  next->campaign();
  const int connection_events = on_old.count(BERTH_CHANGED_CONNECTION);

  proxy.set_blocked(true);
  EXPECT_TRUE(eventually([&] { return old_leader->leadership().connected == 0; })) << "degraded while cut off";
  EXPECT_TRUE(on_old.wait_for(BERTH_CHANGED_CONNECTION, connection_events + 1, std::chrono::seconds(10)));
  EXPECT_EQ(old_leader->leadership().is_leader, 0) << "a disconnected instance does not claim to lead";
  ASSERT_TRUE(eventually([&] { return next->leadership().is_leader == 1; })) << "the session expired on the server";
  const uint64_t new_epoch = next->leadership().epoch;
  EXPECT_GT(new_epoch, old_epoch);
  next->publish(new_epoch, 2, "two");
  EXPECT_NE(failure_of([&] { old_leader->publish(old_epoch, 3, "stale"); }).code, BERTH_OK);

  proxy.set_blocked(false);
  auto old_member_back = [&] {
    for (const auto& member : next->members())
      if (member.first == "old-member") return true;
    return false;
  };
  EXPECT_TRUE(eventually([&] { return old_leader->leadership().connected == 1 && old_member_back(); }))
      << "a new session registers the members again";
  Failure fenced = failure_of([&] { old_leader->publish(old_epoch, 3, "stale"); });
  EXPECT_EQ(fenced.code, BERTH_E_FENCED) << fenced.message;
  EXPECT_NE(fenced.message.find(std::to_string(new_epoch)), std::string::npos) << fenced.message;
  EXPECT_EQ(old_leader->fetch(0), (std::pair<uint64_t, std::string>{2, "two"}));
  EXPECT_EQ(old_leader->leadership().epoch, new_epoch);
  // It campaigns again, behind `next`: when `next` goes, it leads at a newer epoch.
  next.reset();
  EXPECT_TRUE(eventually([&] { return old_leader->leadership().is_leader == 1; }));
  EXPECT_GT(old_leader->leadership().epoch, new_epoch);
}

// A host registering more streams in one go than one ZooKeeper request holds (~1 MB): the
// engine sends its records in batches of bounded size, so nothing is refused and nothing stuck.
TEST_F(ZooKeeperBackendTest, AnEngineTakesMoreStreamsAtOnceThanOneRecordHolds) {
  Options options;
  options.set("backend.name", "zookeeper");
  options.set("backend.connect", zk_connect());
  options.set("backend.root", root_);
  options.set("policy.name", "least_load");
  options.set("engine.node_id", "bulk");
  options.set("engine.intake_flush", "1h");  // one flush() below sends everything
  Engine engine(options.resolve());
  engine.join("server-a", 1.0);
  const int streams = 60000;  // ~2.4 MB of intake records
  for (int i = 0; i < streams; ++i) engine.add_stream("bulk-stream-" + std::to_string(i), "bulk-tenant", 1.0);
  engine.flush();
  ASSERT_TRUE(eventually([&] { return engine.status().is_leader; }));
  engine.refresh();
  EXPECT_EQ(engine.snapshot()->stream_count(), static_cast<uint64_t>(streams));
}

}  // namespace
}  // namespace berth::test
