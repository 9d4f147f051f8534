// The third-party policy written in plain C (samples/c_plugin, "hash_mod"), loaded by path and
// driven through berth::Policy like any built-in one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loader_test_support.h"
#include "plugin/instances.h"
#include "plugin_inputs.h"

namespace berth::test {
namespace {

using ::testing::HasSubstr;

class SampleCPlugin : public ::testing::Test {
 protected:
  std::shared_ptr<Policy> make_policy(const PluginConfig& config = {}) {
    return std::make_shared<Policy>(registry_.load(BERTH_PLUGIN_POLICY, sample_c_plugin().string()), config);
  }

  // Rebalances `streams` over `servers`; `previous` defaults to "never placed".
  std::vector<uint32_t> rebalance(const Policy& policy, const ServerSet& servers, const StreamSet& streams,
                                  std::vector<uint32_t> previous = {}) {
    if (previous.empty()) previous.assign(streams.count(), BERTH_NO_SERVER);
    std::vector<double> load(streams.count(), 1.0);
    std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
    berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &servers.view(),
                                    &streams.view(), load.data(), previous.data(), nullptr};
    policy.rebalance(request, owner.data());
    return owner;
  }

  PluginRegistry registry_{no_search_dirs()};
  // b is draining: it must get nothing. UP servers in index order: a, c, d.
  ServerSet servers_{{{"a", BERTH_SERVER_UP}, {"b", BERTH_SERVER_DRAINING}, {"c", BERTH_SERVER_UP},
                      {"d", BERTH_SERVER_UP}}};
  StreamSet streams_{300};
};

TEST_F(SampleCPlugin, DescribesItself) {
  auto policy = make_policy();
  EXPECT_EQ(policy->plugin().name, "hash_mod");
  EXPECT_EQ(policy->plugin().version, "1.1.0");
  EXPECT_EQ(policy->behaviour_version(), 1u);
}

TEST_F(SampleCPlugin, RebalanceSpreadsStreamsByHashOverUpServers) {
  auto policy = make_policy();
  auto owner = rebalance(*policy, servers_, streams_);
  const uint32_t up[] = {0, 2, 3};
  std::vector<int> per_server(servers_.count(), 0);
  for (uint64_t i = 0; i < streams_.count(); ++i) {
    EXPECT_EQ(owner[i], up[streams_.hash(i) % 3]) << "stream " << i;
    ++per_server.at(owner[i]);
  }
  EXPECT_EQ(per_server[1], 0);  // draining
  for (uint32_t s : up) EXPECT_GT(per_server[s], 60) << "server " << s << " is starved";
}

TEST_F(SampleCPlugin, DefaultOwnersAreTheHashRuleSoSnapshotsStoreNoOwners) {
  auto policy = make_policy();
  ASSERT_TRUE(policy->has_default_owners());
  auto owner = rebalance(*policy, servers_, streams_);
  std::vector<uint32_t> defaults(streams_.count());
  std::vector<uint64_t> hashes(streams_.count());
  for (uint64_t i = 0; i < streams_.count(); ++i) hashes[i] = streams_.hash(i);
  policy->default_owners(servers_.view(), hashes.size(), hashes.data(), defaults.data());
  EXPECT_EQ(defaults, owner);

  // With no server up there is no default owner.
  ServerSet none({{"a", BERTH_SERVER_DRAINING}, {"b", BERTH_SERVER_READ_ONLY}});
  policy->default_owners(none.view(), hashes.size(), hashes.data(), defaults.data());
  EXPECT_EQ(defaults, std::vector<uint32_t>(hashes.size(), BERTH_NO_SERVER));
}

TEST_F(SampleCPlugin, PlacerAgreesWithRebalance) {
  auto policy = make_policy();
  auto owner = rebalance(*policy, servers_, streams_);
  std::vector<double> server_load(servers_.count(), 0.0);
  auto placer = policy->make_placer(servers_.view(), server_load.data());
  for (uint64_t i = 0; i < streams_.count(); ++i) EXPECT_EQ(placer->place(streams_.hash(i), 1.0), owner[i]);
}

TEST_F(SampleCPlugin, StickyKeepsOwnersThatAreStillUp) {
  auto policy = make_policy(PluginConfig("policy", {{"sticky", "true", "test.toml:3"}}));
  // Half the streams were on a (still up), half on b (now draining).
  std::vector<uint32_t> previous(streams_.count());
  for (uint64_t i = 0; i < streams_.count(); ++i) previous[i] = i % 2 == 0 ? 0 : 1;
  auto owner = rebalance(*policy, servers_, streams_, previous);
  const uint32_t up[] = {0, 2, 3};
  for (uint64_t i = 0; i < streams_.count(); ++i)
    EXPECT_EQ(owner[i], i % 2 == 0 ? 0u : up[streams_.hash(i) % 3]) << "stream " << i;
}

TEST_F(SampleCPlugin, NoUpServerIsNoServers) {
  auto policy = make_policy();
  ServerSet down({{"a", BERTH_SERVER_DRAINING}, {"b", BERTH_SERVER_READ_ONLY}});
  try {
    rebalance(*policy, down, streams_);
    ADD_FAILURE() << "rebalance with no server up succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("hash_mod: no server is up"));
  }
  std::vector<double> server_load(down.count(), 0.0);
  auto placer = policy->make_placer(down.view(), server_load.data());
  try {
    placer->place(streams_.hash(0), 1.0);
    ADD_FAILURE() << "place with no server up succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("place"));
  }
}

TEST_F(SampleCPlugin, UnknownConfigurationKeyIsNamed) {
  try {
    make_policy(PluginConfig("policy", {{"stickyy", "true", "berth.toml:7"}}));
    ADD_FAILURE() << "a misspelt key was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("berth.toml:7: policy.stickyy: unknown key"));
  }
}

TEST_F(SampleCPlugin, FoundByNameInAPluginDirectory) {
  TempDir dir;
  dir.copy(sample_c_plugin(), "berth_policy_hash_mod.so");
  PluginRegistry registry({dir.path()});
  EXPECT_EQ(registry.load(BERTH_PLUGIN_POLICY, "hash_mod")->name, "hash_mod");
}

}  // namespace
}  // namespace berth::test
