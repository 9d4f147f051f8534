// weighted through the real plugin: shares follow the weights, a weight change or a join moves
// only streams to or from the server concerned, every node agrees, server states, rebalance()'s
// stickiness and `rebalance = true`, and the errors a host relies on.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

std::shared_ptr<Policy> weighted(std::vector<PluginConfig::Entry> config = {}) {
  return policy_plugin("weighted", std::move(config));
}

// Where each of `count` new streams lands.
std::vector<uint32_t> choices(const Placer& placer, uint64_t count, std::string_view prefix = "new-stream-") {
  std::vector<uint32_t> out(count);
  for (uint64_t k = 0; k < count; ++k) out[k] = placer.place(stream_hash(std::string(prefix) + std::to_string(k)), 1.0);
  return out;
}

std::vector<double> zero_loads(uint32_t m) { return std::vector<double>(m, 0.0); }

TEST(WeightedPolicy, IsVersionTwoOfTheWeightedPlugin) {
  auto policy = weighted();
  EXPECT_EQ(policy->plugin().name, "weighted");
  EXPECT_EQ(policy->behaviour_version(), 2u);
}

// Floor: over 100k new streams, every server's share is within 1 percentage point of weight / sum.
TEST(WeightedPolicy, SharesOfNewStreamsFollowTheWeights) {
  auto policy = weighted();
  const std::vector<double> weight{1.0, 2.0, 3.0, 5.0, 0.5, 8.0, 1.0, 4.0};
  Servers servers(weight);
  auto placer = policy->make_placer(servers.view(), zero_loads(servers.count()).data());
  constexpr uint64_t kNew = 100'000;
  const auto landed = place_burst(*placer, servers.count(), kNew);
  const double sum = std::accumulate(weight.begin(), weight.end(), 0.0);
  double worst = 0;
  for (uint32_t j = 0; j < servers.count(); ++j) {
    const double share = static_cast<double>(landed[j]) / kNew;
    EXPECT_NEAR(share, weight[j] / sum, 0.01) << "server " << j;
    worst = std::max(worst, std::abs(share - weight[j] / sum));
  }
  RecordProperty("worst_share_error_pp", std::to_string(100 * worst));
  std::printf("weighted: worst share error over %llu new streams: %.3f percentage points\n",
              static_cast<unsigned long long>(kNew), 100 * worst);
}

TEST(WeightedPolicy, RebalanceOfStreamsWithoutOwnersIsThePlacersChoice) {
  auto policy = weighted();
  std::mt19937_64 rng(3);
  std::vector<double> weight(17);
  for (double& w : weight) w = std::uniform_real_distribution<double>(0.5, 5.0)(rng);
  Servers servers(weight);
  Streams streams(20'000);
  const std::vector<double> load = random_loads(rng, streams.count());
  const auto owner = rebalance(*policy, servers, streams, load);
  auto placer = policy->make_placer(servers.view(), zero_loads(servers.count()).data());
  for (uint64_t i = 0; i < streams.count(); ++i) ASSERT_EQ(owner[i], placer->place(streams.hash(i), load[i])) << i;
}

// Floor: changing one server's weight changes where new streams land only to or from that server;
// a raise only takes choices to it, a cut only from it, about as many as its share changed. (What
// rebalance() does to placed streams is the rebalance tests' business.)
TEST(WeightedPolicy, AWeightChangeRedirectsNewStreamsOnlyToOrFromThatServer) {
  auto policy = weighted();
  constexpr uint64_t kNew = 100'000;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 3, 40);
    std::vector<double> weight(m);
    for (double& w : weight) w = std::uniform_real_distribution<double>(0.5, 10.0)(rng);
    const uint32_t changed = uniform(rng, 0, m - 1);
    const double factor = seed % 2 == 0 ? 2.5 : 0.3;
    std::vector<double> new_weight = weight;
    new_weight[changed] *= factor;
    Servers before_servers(weight), after_servers(new_weight);
    const auto before = choices(*policy->make_placer(before_servers.view(), zero_loads(m).data()), kNew);
    const auto after = choices(*policy->make_placer(after_servers.view(), zero_loads(m).data()), kNew);
    uint64_t moved = 0;
    for (uint64_t k = 0; k < kNew; ++k) {
      if (before[k] == after[k]) continue;
      ++moved;
      if (factor > 1) {
        ASSERT_EQ(after[k], changed) << "seed " << seed << ": stream " << k << " moved between two other servers";
      } else {
        ASSERT_EQ(before[k], changed) << "seed " << seed << ": stream " << k << " moved between two other servers";
      }
    }
    const double sum = std::accumulate(weight.begin(), weight.end(), 0.0);
    const double new_sum = sum - weight[changed] + new_weight[changed];
    const double expected = std::abs(new_weight[changed] / new_sum - weight[changed] / sum);
    EXPECT_NEAR(static_cast<double>(moved) / kNew, expected, 0.01) << "seed " << seed;
  }
}

// Floor: a server that joins (here with an id in the middle, so the indices after it shift)
// only takes streams; nothing moves between the servers that were there.
TEST(WeightedPolicy, AJoiningServerOnlyTakesStreams) {
  auto policy = weighted();
  std::vector<std::string> ids;
  std::vector<double> weight;
  for (int k = 0; k < 20; ++k) {
    ids.push_back("node-" + std::to_string(10 + 2 * k));  // node-10, node-12, ..: sorted
    weight.push_back(1.0 + k % 4);
  }
  std::vector<std::string> joined_ids = ids;
  std::vector<double> joined_weight = weight;
  joined_ids.insert(joined_ids.begin() + 7, "node-23");  // between node-22 and node-24
  joined_weight.insert(joined_weight.begin() + 7, 3.0);
  const Servers before_servers = Servers::named(ids, weight);
  const Servers after_servers = Servers::named(joined_ids, joined_weight);
  constexpr uint64_t kNew = 100'000;
  const auto before = choices(*policy->make_placer(before_servers.view(), zero_loads(20).data()), kNew);
  const auto after = choices(*policy->make_placer(after_servers.view(), zero_loads(21).data()), kNew);
  uint64_t moved = 0;
  for (uint64_t k = 0; k < kNew; ++k) {
    const uint32_t old_index_now = before[k] >= 7 ? before[k] + 1 : before[k];
    if (after[k] == old_index_now) continue;
    ++moved;
    ASSERT_EQ(after[k], 7u) << "stream " << k << " moved between two servers that were there";
  }
  const double sum = std::accumulate(joined_weight.begin(), joined_weight.end(), 0.0);
  EXPECT_NEAR(static_cast<double>(moved) / kNew, 3.0 / sum, 0.01);
}

TEST(WeightedPolicy, TwoInstancesGiveIdenticalOwnersAndPlacements) {
  auto first = weighted({{"rebalance", "true", ""}});
  auto second = weighted({{"rebalance", "true", ""}});
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 30);
    std::vector<double> weight(m);
    for (double& w : weight) w = std::uniform_real_distribution<double>(0.1, 10.0)(rng);
    Servers servers(weight);
    Streams streams(uniform(rng, 1, 5000), "s" + std::to_string(seed) + "-");
    const std::vector<double> load = random_loads(rng, streams.count());
    EXPECT_EQ(rebalance(*first, servers, streams, load), rebalance(*second, servers, streams, load)) << seed;
    EXPECT_EQ(choices(*first->make_placer(servers.view(), zero_loads(m).data()), 2000),
              choices(*second->make_placer(servers.view(), zero_loads(m).data()), 2000))
        << seed;
  }
}

// READ_ONLY is how "weight 0" is written: the server takes nothing new, the others share by weight.
TEST(WeightedPolicy, AReadOnlyServerTakesNoNewStreams) {
  auto policy = weighted();
  Servers servers({1.0, 2.0, 3.0, 4.0}, {BERTH_SERVER_UP, BERTH_SERVER_READ_ONLY, BERTH_SERVER_UP, BERTH_SERVER_DRAINING});
  auto placer = policy->make_placer(servers.view(), zero_loads(4).data());
  constexpr uint64_t kNew = 100'000;
  const auto landed = place_burst(*placer, 4, kNew);
  EXPECT_EQ(landed[1], 0u);
  EXPECT_EQ(landed[3], 0u);
  EXPECT_NEAR(static_cast<double>(landed[0]) / kNew, 0.25, 0.01);
  EXPECT_NEAR(static_cast<double>(landed[2]) / kNew, 0.75, 0.01);
}

// Existing streams stay on UP and READ_ONLY owners; draining and ownerless ones go to their
// rendezvous choice among the up servers.
TEST(WeightedPolicy, RebalanceKeepsOwnersAndMovesOnlyWhatMust) {
  auto policy = weighted();
  Servers servers({1.0, 1.0, 1.0, 1.0}, {BERTH_SERVER_UP, BERTH_SERVER_READ_ONLY, BERTH_SERVER_DRAINING, BERTH_SERVER_UP});
  constexpr uint64_t kStreams = 4000;
  Streams streams(kStreams);
  const std::vector<double> load(kStreams, 1.0);
  std::vector<uint32_t> previous(kStreams);
  for (uint64_t i = 0; i < kStreams; ++i) previous[i] = i % 5 == 4 ? BERTH_NO_SERVER : static_cast<uint32_t>(i % 5);
  const auto owner = rebalance(*policy, servers, streams, load, previous);
  auto placer = policy->make_placer(servers.view(), zero_loads(4).data());
  for (uint64_t i = 0; i < kStreams; ++i) {
    const uint32_t p = previous[i];
    if (p == 0 || p == 1 || p == 3) {
      EXPECT_EQ(owner[i], p) << i;
    } else {
      EXPECT_EQ(owner[i], placer->place(streams.hash(i), 1.0)) << i;
      EXPECT_TRUE(owner[i] == 0 || owner[i] == 3) << i;
    }
  }
  // Nothing changes on a second refresh.
  EXPECT_EQ(rebalance(*policy, servers, streams, load, owner), owner);
}

// With `rebalance = true` every stream goes to its rendezvous choice, including those on
// read-only servers; a join then moves about 1/(M+1) of the streams, all to the new server.
TEST(WeightedPolicy, RebalanceTrueSendsEveryStreamToItsChoice) {
  auto policy = weighted({{"rebalance", "true", "berth.toml:7"}});
  Servers servers({1.0, 2.0, 1.0}, {BERTH_SERVER_UP, BERTH_SERVER_UP, BERTH_SERVER_READ_ONLY});
  constexpr uint64_t kStreams = 30'000;
  Streams streams(kStreams);
  const std::vector<double> load(kStreams, 1.0);
  const std::vector<uint32_t> previous(kStreams, 2);
  const auto owner = rebalance(*policy, servers, streams, load, previous);
  const auto count = count_per_server(owner, 3);
  EXPECT_EQ(count[2], 0u);
  EXPECT_NEAR(static_cast<double>(count[1]) / kStreams, 2.0 / 3.0, 0.01);

  Servers equal = Servers::equal(50), joined = Servers::equal(51);
  const auto base = rebalance(*policy, equal, streams, load);
  const auto after = rebalance(*policy, joined, streams, load, base);
  uint64_t moved = 0;
  for (uint64_t i = 0; i < kStreams; ++i) {
    if (after[i] == base[i]) continue;
    ++moved;
    EXPECT_EQ(after[i], 50u) << i;
  }
  EXPECT_NEAR(static_cast<double>(moved) / kStreams, 1.0 / 51, 0.005);
}

void expect_no_servers(const Servers& servers, const std::vector<uint32_t>& previous, const std::string& reason) {
  auto policy = weighted();
  Streams streams(previous.size());
  try {
    rebalance(*policy, servers, streams, std::vector<double>(previous.size(), 1.0), previous);
    ADD_FAILURE() << "placed with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

TEST(WeightedPolicy, AStreamWithoutAnOwnerAndNoUpServerIsANoServersError) {
  expect_no_servers(Servers({}), {BERTH_NO_SERVER}, "there are no servers at all");
  expect_no_servers(Servers({1.0, 1.0, 1.0}, {2, 1, 2}), {0, BERTH_NO_SERVER, 1},
                    "1 of 3 streams that have no owner: 3 servers, none up (1 draining, 2 read-only)");
}

TEST(WeightedPolicy, WithNoUpServerOwnedStreamsStayWhereTheyAre) {
  auto policy = weighted();
  Servers servers({1.0, 1.0}, {BERTH_SERVER_DRAINING, BERTH_SERVER_READ_ONLY});
  Streams streams(4);
  const std::vector<uint32_t> previous{0, 1, 0, 1};
  EXPECT_EQ(rebalance(*policy, servers, streams, std::vector<double>(4, 1.0), previous), previous);
  Servers none({});
  Streams nothing(0);
  EXPECT_TRUE(rebalance(*policy, none, nothing, {}).empty());
}

TEST(WeightedPolicy, ThePlacerWithNoUpServerIsANoServersError) {
  auto policy = weighted();
  Servers servers({1.0}, {BERTH_SERVER_DRAINING});
  auto placer = policy->make_placer(servers.view(), zero_loads(1).data());
  try {
    placer->place(stream_hash("lonely"), 1.0);
    ADD_FAILURE() << "placed with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
  }
}

TEST(WeightedPolicy, AnUnknownStateIsRejectedNamingTheServer) {
  auto policy = weighted();
  Servers servers({1.0, 1.0}, {BERTH_SERVER_UP, 7});
  try {
    policy->make_placer(servers.view(), zero_loads(2).data());
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT) << e.what();
    EXPECT_NE(std::string(e.what()).find("server-0001"), std::string::npos) << e.what();
  }
}

void expect_config_error(std::vector<PluginConfig::Entry> config, const std::string& key) {
  try {
    weighted(std::move(config));
    ADD_FAILURE() << "configuration accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(WeightedPolicy, RejectsUnknownKeysAndBadValues) {
  expect_config_error({{"rebalence", "true", "berth.toml:3"}}, "rebalence");
  expect_config_error({{"weight", "2", "berth.toml:3"}}, "weight");
  expect_config_error({{"rebalance", "yes please", "berth.toml:4"}}, "rebalance");
  EXPECT_NO_THROW(weighted({{"rebalance", "false", ""}}));
  EXPECT_NO_THROW(weighted({{"rebalance", "true", ""}}));
}

}  // namespace
}  // namespace berth::policy_test
