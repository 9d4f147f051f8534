// The backend contract for `memory`, plus what only an in-process backend promises: clusters are
// shared by name within the process, kept apart by name, and end with their last instance.
#include <algorithm>
#include <thread>

#include "backend/backend_contract.h"

namespace berth::test {
namespace {

std::vector<PluginConfig::Entry> cluster_entries(const std::string& name) {
  return {{"cluster", name, "memory_backend_test"}};
}

BackendUnderTest memory_backend() {
  BackendUnderTest backend;
  backend.plugin = "memory";
  backend.fresh_cluster = [] { return cluster_entries(unique_cluster_name("contract")); };
  backend.settle = std::chrono::seconds(2);  // changes show at once; this only bounds a failure
  backend.stress_rounds = 2000;
  // The test hook `expire_session`, given to another instance, ends a session as an expiry does.
  backend.severable = [](const std::vector<PluginConfig::Entry>& cluster) {
    BackendUnderTest::Severable out;
    out.entries = cluster;
    out.sever = [cluster](Backend& victim) {
      std::vector<PluginConfig::Entry> entries = cluster;
      entries.push_back({"expire_session", std::to_string(victim.lease().session), "memory_backend_test"});
      PluginRegistry registry;
      Backend expirer(registry.load(BERTH_PLUGIN_BACKEND, "memory"), PluginConfig("backend", std::move(entries)), nullptr);
    };
    return out;
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(Memory, BackendContract, ::testing::Values(memory_backend()), backend_test_name);

class MemoryBackendTest : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> open(const std::string& cluster, const WatchCounter* counter = nullptr) {
    return std::make_unique<Backend>(plugin_, PluginConfig("backend", cluster_entries(cluster)),
                                     counter != nullptr ? counter->watch() : nullptr);
  }

  // Ends session `session` of `cluster` through the test hook (an instance opened with it).
  void expire(const std::string& cluster, uint64_t session) {
    Backend expirer(plugin_, PluginConfig("backend", {{"cluster", cluster, "t"}, {"expire_session", std::to_string(session), "t"}}),
                    nullptr);
  }

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_ = registry_.load(BERTH_PLUGIN_BACKEND, "memory");
};

TEST_F(MemoryBackendTest, DescribesItself) {
  EXPECT_EQ(plugin_->name, "memory");
  EXPECT_EQ(plugin_->kind, BERTH_PLUGIN_BACKEND);
  EXPECT_FALSE(plugin_->version.empty());
}

TEST_F(MemoryBackendTest, ClustersWithDifferentNamesAreIsolated) {
  WatchCounter on_other;
  auto a = open(unique_cluster_name("left"));
  auto b = open(unique_cluster_name("right"), &on_other);
  a->join("a-1", "x");
  a->campaign();
  a->publish(a->leadership().epoch, 1, "one");
  a->submit("r");
  EXPECT_TRUE(b->members().empty());
  EXPECT_EQ(b->leadership().epoch, 0u);
  EXPECT_EQ(b->fetch(0).first, 0u);
  EXPECT_EQ(on_other.count(BERTH_CHANGED_MEMBERS) + on_other.count(BERTH_CHANGED_LEADER) +
                on_other.count(BERTH_CHANGED_SNAPSHOT) + on_other.count(BERTH_CHANGED_INTAKE),
            0);
}

TEST_F(MemoryBackendTest, AClusterEndsWithItsLastInstance) {
  const std::string name = unique_cluster_name("ephemeral");
  {
    auto a = open(name);
    a->campaign();
    a->publish(a->leadership().epoch, 9, "nine");
    a->submit("pending");
    auto b = open(name);
    a.reset();
    EXPECT_EQ(b->fetch(0).first, 9u) << "alive while any instance uses it";
  }
  auto fresh = open(name);
  EXPECT_EQ(fresh->fetch(0).first, 0u);
  fresh->campaign();
  EXPECT_EQ(fresh->leadership().epoch, 1u);
  EXPECT_TRUE(fresh->drain().empty());
}

TEST_F(MemoryBackendTest, InstancesFromSeparateRegistriesShareTheCluster) {
  // Two engines in one process each have their own registry; the shared object is loaded once.
  PluginRegistry other_registry;
  auto other_plugin = other_registry.load(BERTH_PLUGIN_BACKEND, "memory");
  const std::string name = unique_cluster_name("two-engines");
  auto a = open(name);
  Backend b(other_plugin, PluginConfig("backend", cluster_entries(name)), nullptr);
  a->join("engine-a", "x");
  ASSERT_EQ(b.members().size(), 1u);
  EXPECT_EQ(b.members()[0].first, "engine-a");
}

TEST_F(MemoryBackendTest, WithoutAClusterKeyInstancesShareTheDefaultCluster) {
  Backend a(plugin_, PluginConfig("backend", {}), nullptr);
  Backend b(plugin_, PluginConfig("backend", {}), nullptr);
  auto named = open("default");
  const std::string id = unique_cluster_name("default-member");
  a.join(id, "x");
  auto has_id = [&](Backend& backend) {
    for (const auto& member : backend.members())
      if (member.first == id) return true;
    return false;
  };
  EXPECT_TRUE(has_id(b));
  EXPECT_TRUE(has_id(*named));
}

TEST_F(MemoryBackendTest, AnEmptyClusterNameIsAConfigError) {
  Failure failure = failure_of([&] { open(""); });
  EXPECT_EQ(failure.code, BERTH_E_CONFIG);
  EXPECT_NE(failure.message.find("cluster"), std::string::npos) << failure.message;
}

TEST_F(MemoryBackendTest, FencedMessageSaysWhoLeads) {
  const std::string name = unique_cluster_name("who-leads");
  auto leader = open(name);
  auto other = open(name);
  leader->join("leader-host:1", "x");
  leader->campaign();
  Failure failure = failure_of([&] { other->publish(1, 1, "x"); });
  EXPECT_EQ(failure.code, BERTH_E_FENCED);
  EXPECT_NE(failure.message.find("leader-host:1"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("epoch 1"), std::string::npos) << failure.message;
}

// Many threads opening and closing instances of a few clusters at once: the process-wide
// directory of clusters must hand every thread the same live cluster per name.
TEST_F(MemoryBackendTest, StressOpeningAndClosingInstancesAcrossClusters) {
  const std::vector<std::string> names = {unique_cluster_name("busy"), unique_cluster_name("busy"),
                                          unique_cluster_name("busy")};
  std::vector<std::unique_ptr<Backend>> anchors;  // keep each cluster alive, so its members accumulate
  for (const std::string& name : names) anchors.push_back(open(name));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 300; ++i) {
          auto b = open(names[static_cast<size_t>((t + i) % 3)]);
          b->join("t" + std::to_string(t) + "-" + std::to_string(i), "x");
          b->campaign();
        }
      } catch (...) {
        failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (auto& anchor : anchors) {
    EXPECT_TRUE(anchor->members().empty()) << "every short-lived member went with its instance";
    EXPECT_EQ(anchor->leadership().is_leader, 0);
  }
}

// The test hook `expire_session` ends a session as an ensemble ends an expired one: the lease is
// lost, the members and candidacy go, and the next join or campaign opens a new session that
// registers them again.
TEST_F(MemoryBackendTest, AnExpiredSessionLosesItsLeaseAndRegistrationsUntilItsNextJoin) {
  const std::string name = unique_cluster_name("expiry");
  WatchCounter on_a, on_b;
  auto a = open(name, &on_a);
  auto b = open(name, &on_b);
  a->join("a-1", "x");
  a->campaign();
  b->campaign();
  ASSERT_EQ(a->leadership().is_leader, 1);
  const Backend::Lease before = a->lease();
  ASSERT_TRUE(before.held);
  EXPECT_EQ(before.valid_until_ns, UINT64_MAX);
  const int connection_events = on_a.count(BERTH_CHANGED_CONNECTION);
  const int member_events = on_b.count(BERTH_CHANGED_MEMBERS);

  expire(name, before.session);

  const Backend::Lease after = a->lease();
  EXPECT_FALSE(after.held);
  EXPECT_EQ(after.session, before.session) << "names the session that ended";
  EXPECT_TRUE(b->members().empty()) << "its member went with the session";
  EXPECT_EQ(b->leadership().is_leader, 1) << "its candidacy too: the next candidate leads";
  EXPECT_EQ(a->leadership().is_leader, 0);
  EXPECT_GT(on_a.count(BERTH_CHANGED_CONNECTION), connection_events) << "the instance hears of it";
  EXPECT_GT(on_b.count(BERTH_CHANGED_MEMBERS), member_events) << "the others hear of the member going";
  Failure fenced = failure_of([&] { a->publish(before.session, 9, "stale"); });
  EXPECT_EQ(fenced.code, BERTH_E_FENCED);

  a->join("a-2", "y");
  const Backend::Lease renewed = a->lease();
  EXPECT_TRUE(renewed.held);
  EXPECT_NE(renewed.session, before.session) << "a new session";
  std::vector<std::string> ids;
  for (const auto& member : b->members()) ids.push_back(member.first);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"a-1", "a-2"})) << "registered again, as after a ZooKeeper expiry";
  b.reset();
  EXPECT_EQ(a->leadership().is_leader, 1) << "its candidacy came back too, behind b";
}

TEST_F(MemoryBackendTest, ALeaveOrResignAfterExpiryNeedsNoSession) {
  const std::string name = unique_cluster_name("expiry-leave");
  auto a = open(name);
  auto b = open(name);
  a->join("a-1", "x");
  a->campaign();
  expire(name, a->lease().session);
  a->leave("a-1");
  a->resign();
  EXPECT_FALSE(a->lease().held) << "neither opens a new session";
  a->campaign();
  EXPECT_TRUE(a->lease().held);
  EXPECT_TRUE(b->members().empty()) << "a member left while expired is not registered again";
  EXPECT_EQ(a->leadership().is_leader, 1);
}

// A backend whose table ends before `lease` loads and works; the host is told it has no lease.
TEST_F(MemoryBackendTest, ABackendWithoutTheLeaseLoadsAndSaysSo) {
  PluginRegistry registry;
  auto older = registry.load(BERTH_PLUGIN_BACKEND, BERTH_DRAIN_ONLY_BACKEND);
  Backend backend(older, PluginConfig("backend", cluster_entries(unique_cluster_name("no-lease"))), nullptr);
  backend.join("m", "x");
  EXPECT_EQ(backend.members().size(), 1u);
  EXPECT_FALSE(backend.supports_lease());
  Failure failure = failure_of([&] { backend.lease(); });
  EXPECT_EQ(failure.code, BERTH_E_STATE);
  EXPECT_NE(failure.message.find("lease"), std::string::npos) << failure.message;
  EXPECT_TRUE(plugin_->backend.lease != nullptr) << "the memory backend itself has one";
}

TEST_F(MemoryBackendTest, ExpiringASessionThatIsNotLiveIsAnError) {
  const std::string name = unique_cluster_name("expiry-none");
  auto a = open(name);
  Failure failure = failure_of([&] { expire(name, 999999); });
  EXPECT_NE(failure.code, BERTH_OK);
  EXPECT_NE(failure.message.find("999999"), std::string::npos) << failure.message;
  EXPECT_TRUE(a->lease().held);
}

}  // namespace
}  // namespace berth::test
