// hash through the real plugin: consistent hashing with bounded loads. No up server ends above
// c x its fair share; a join moves little; few streams sit off their first hash choice (the only
// state a node would need to store); every node agrees; server states; the placer; errors.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

std::shared_ptr<Policy> hash_policy(std::vector<PluginConfig::Entry> config = {}) {
  return policy_plugin("hash", std::move(config));
}

std::vector<double> random_capacities(std::mt19937_64& rng, uint32_t m) {
  std::vector<double> capacity(m);
  for (double& c : capacity) c = std::uniform_real_distribution<double>(1.0, 4.0)(rng);
  return capacity;
}

// Highest load per unit of capacity over the mean (total load / up capacity).
double max_over_mean(const Servers& servers, const std::vector<uint32_t>& owner, const std::vector<double>& load) {
  const auto per_server = load_per_server(owner, load, servers.count());
  double most = 0;
  for (uint32_t j = 0; j < servers.count(); ++j) most = std::max(most, per_server[j] / servers.capacity(j));
  return most / (std::accumulate(load.begin(), load.end(), 0.0) / servers.up_capacity());
}

// A stream's first choice: what the placer answers while nothing is loaded.
std::vector<uint32_t> first_choices(const Policy& policy, const Servers& servers, const Streams& streams) {
  auto placer = policy.make_placer(servers.view(), std::vector<double>(servers.count(), 0.0).data());
  std::vector<uint32_t> first(streams.count());
  for (uint64_t i = 0; i < streams.count(); ++i) first[i] = placer->place(streams.hash(i), 1.0);
  return first;
}

double exception_fraction(const std::vector<uint32_t>& owner, const std::vector<uint32_t>& first) {
  uint64_t off = 0;
  for (size_t i = 0; i < owner.size(); ++i) off += owner[i] != first[i] ? 1 : 0;
  return static_cast<double>(off) / static_cast<double>(owner.size());
}

uint64_t moved(const std::vector<uint32_t>& before, const std::vector<uint32_t>& after) {
  uint64_t count = 0;
  for (size_t i = 0; i < after.size(); ++i) count += before[i] != after[i] ? 1 : 0;
  return count;
}

TEST(HashPolicy, IsVersionTwoOfTheHashPlugin) {
  auto policy = hash_policy();
  EXPECT_EQ(policy->plugin().name, "hash");
  EXPECT_EQ(policy->behaviour_version(), 2u);
}

// One policy instance keeps the ring of the servers it last saw (placers and default owners of
// every installed snapshot use it): switching between server lists, capacities and states must
// give exactly what a fresh instance gives for each.
TEST(HashPolicy, ItsRingCacheFollowsTheServersItIsGiven) {
  auto policy = hash_policy();
  Servers a(std::vector<double>(20, 1.0));
  Servers b(std::vector<double>(21, 1.0));                       // one more server
  std::vector<double> doubled(20, 1.0);
  doubled[7] = 2.0;
  Servers c(doubled);                                             // same ids, one capacity changed
  std::vector<int32_t> states(20, BERTH_SERVER_UP);
  states[3] = BERTH_SERVER_DRAINING;
  Servers d(std::vector<double>(20, 1.0), states);               // same ids, one server off the ring
  Streams streams(4000);
  std::vector<uint64_t> hashes(streams.count());
  for (uint64_t i = 0; i < streams.count(); ++i) hashes[i] = streams.hash(i);

  const auto first_a = first_choices(*policy, a, streams);
  for (const Servers* servers : {&b, &c, &d, &a, &c, &b}) {
    const auto cached = first_choices(*policy, *servers, streams);
    EXPECT_EQ(cached, first_choices(*hash_policy(), *servers, streams)) << servers->count() << " servers";
    std::vector<uint32_t> defaults(streams.count());
    policy->default_owners(servers->view(), hashes.size(), hashes.data(), defaults.data());
    EXPECT_EQ(defaults, cached) << "default owners are the first choices";
    if (servers != &a) {
      EXPECT_NE(cached, first_a) << "a different ring";
    }
  }
}

// Floor: max/mean <= c, on lognormal loads and random capacities, for a few c.
TEST(HashPolicy, NoServerEndsAboveTheCapacityFactor) {
  for (const double c : {1.25, 1.1, 1.5}) {
    auto policy = hash_policy({{"capacity_factor", std::to_string(c), ""}});
    for (uint64_t seed = 0; seed < 6; ++seed) {
      std::mt19937_64 rng(seed);
      const uint32_t m = uniform(rng, 2, 80);
      Servers servers(seed % 2 == 0 ? std::vector<double>(m, 1.0) : random_capacities(rng, m));
      Streams streams(uint64_t{500} * m, "s" + std::to_string(seed) + "-");
      const std::vector<double> load = random_loads(rng, streams.count());
      const auto owner = rebalance(*policy, servers, streams, load);
      EXPECT_LE(max_over_mean(servers, owner, load), c * (1 + 1e-12)) << "c " << c << ", seed " << seed;
    }
  }
}

// With equal loads the bound is the paper's, in streams: ceil(c x n x capacity / up capacity).
TEST(HashPolicy, WithEqualLoadsEveryServerHoldsAtMostCeilOfCTimesItsFairCount) {
  auto policy = hash_policy();
  std::mt19937_64 rng(11);
  Servers servers(random_capacities(rng, 37));
  Streams streams(10'007);
  const std::vector<double> load(streams.count(), 3.0);
  const auto count = count_per_server(rebalance(*policy, servers, streams, load), servers.count());
  for (uint32_t j = 0; j < servers.count(); ++j)
    EXPECT_LE(static_cast<double>(count[j]),
              std::ceil(1.25 * 10'007 * servers.capacity(j) / servers.up_capacity()))
        << "server " << j;
}

// The design goal: only exceptions need storing. Reports the fraction off the first choice;
// at 8 bytes an exception (stream index + server index), 2 bytes per stream allows 25%.
TEST(HashPolicy, FewStreamsSitOffTheirFirstChoice) {
  auto policy = hash_policy();
  std::mt19937_64 rng(5);
  Servers servers = Servers::equal(100);
  Streams streams(200'000);
  const std::vector<double> load = random_loads(rng, streams.count());
  const auto owner = rebalance(*policy, servers, streams, load);
  const double fraction = exception_fraction(owner, first_choices(*policy, servers, streams));
  RecordProperty("exception_fraction", std::to_string(fraction));
  std::printf("hash: %.4f%% of 200k lognormal streams on 100 servers sit off their first choice "
              "(%.4f bytes per stream at 8 bytes an exception)\n",
              100 * fraction, 8 * fraction);
  EXPECT_LE(fraction, 0.05);
  EXPECT_LE(8 * fraction, 2.0);
}

// Floor: a join moves at most 1.5 x 1/(M+1) of the streams; a leave, not much more than the
// leaving server's own streams.
TEST(HashPolicy, AJoinOrALeaveMovesFewStreams) {
  auto policy = hash_policy();
  for (uint64_t seed = 0; seed < 3; ++seed) {
    std::mt19937_64 rng(seed);
    constexpr uint32_t kServers = 100;
    Servers before = Servers::equal(kServers), joined = Servers::equal(kServers + 1);
    Streams streams(200'000, "s" + std::to_string(seed) + "-");
    const std::vector<double> load = random_loads(rng, streams.count());
    const auto owner = rebalance(*policy, before, streams, load);
    const auto after_join = rebalance(*policy, joined, streams, load, owner);
    const double join_share = static_cast<double>(moved(owner, after_join)) / streams.count() * (kServers + 1);
    EXPECT_LE(join_share, 1.5) << "seed " << seed;
    // The last server leaves: its streams must move, and a few others.
    Servers left = Servers::equal(kServers - 1);
    std::vector<uint32_t> previous = owner;
    uint64_t its = 0;
    for (uint32_t& p : previous)
      if (p == kServers - 1) {
        p = BERTH_NO_SERVER;
        ++its;
      }
    const auto after_leave = rebalance(*policy, left, streams, load, previous);
    uint64_t others = 0;
    for (size_t i = 0; i < owner.size(); ++i) others += previous[i] != BERTH_NO_SERVER && after_leave[i] != owner[i];
    const double leave_ratio = static_cast<double>(its + others) / static_cast<double>(its);
    EXPECT_LE(leave_ratio, 1.5) << "seed " << seed;
    std::printf("hash, seed %llu: join moved %.3f x 1/(M+1) of the streams; leave moved %.3f x its own\n",
                static_cast<unsigned long long>(seed), join_share, leave_ratio);
  }
}

TEST(HashPolicy, TwoInstancesGiveIdenticalOwnersAndPreviousOwnersDoNotMatter) {
  auto first = hash_policy();
  auto second = hash_policy();
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 30);
    Servers servers(random_capacities(rng, m));
    Streams streams(uniform(rng, 1, 5000), "s" + std::to_string(seed) + "-");
    const std::vector<double> load = random_loads(rng, streams.count());
    std::vector<uint32_t> previous(streams.count());
    for (uint32_t& p : previous) p = uniform(rng, 0, m - 1);
    const auto owner = rebalance(*first, servers, streams, load);
    EXPECT_EQ(owner, rebalance(*second, servers, streams, load)) << seed;
    EXPECT_EQ(owner, rebalance(*second, servers, streams, load, previous)) << seed;  // directory-free
  }
}

TEST(HashPolicy, ReadOnlyKeepsItsStreamsAndDrainingIsEmptied) {
  auto policy = hash_policy();
  Servers servers({1.0, 1.0, 1.0, 1.0},
                  {BERTH_SERVER_UP, BERTH_SERVER_READ_ONLY, BERTH_SERVER_DRAINING, BERTH_SERVER_UP});
  constexpr uint64_t kStreams = 4000;
  Streams streams(kStreams);
  std::mt19937_64 rng(1);
  const std::vector<double> load = random_loads(rng, kStreams);
  std::vector<uint32_t> previous(kStreams);
  for (uint64_t i = 0; i < kStreams; ++i) previous[i] = i % 5 == 4 ? BERTH_NO_SERVER : static_cast<uint32_t>(i % 5);
  const auto owner = rebalance(*policy, servers, streams, load, previous);
  for (uint64_t i = 0; i < kStreams; ++i) {
    if (previous[i] == 1) {
      EXPECT_EQ(owner[i], 1u) << i;
    } else {
      EXPECT_TRUE(owner[i] == 0 || owner[i] == 3) << i << " on " << owner[i];
    }
  }
}

TEST(HashPolicy, ThePlacerTakesTheFirstChoiceBelowItsBound) {
  auto first = hash_policy();
  auto second = hash_policy();
  Servers servers = Servers::equal(10);
  Streams streams(5000);
  const auto choice = first_choices(*first, servers, streams);
  // Server 3 is far above its bound (c x mean = 1.25 x 14.5), the others are below theirs.
  std::vector<double> server_load(10, 10.0);
  server_load[3] = 55.0;
  auto a = first->make_placer(servers.view(), server_load.data());
  auto b = second->make_placer(servers.view(), server_load.data());
  uint64_t diverted = 0;
  for (uint64_t i = 0; i < streams.count(); ++i) {
    const uint32_t placed = a->place(streams.hash(i), 1.0);
    ASSERT_EQ(placed, b->place(streams.hash(i), 1.0));
    EXPECT_NE(placed, 3u);
    if (choice[i] != 3) {
      EXPECT_EQ(placed, choice[i]) << i;
    } else {
      ++diverted;
    }
  }
  EXPECT_GT(diverted, 0u);
  // Streams alone on their first choice: the rebalance agrees with the placer.
  Streams one(1, "single-");
  EXPECT_EQ(rebalance(*first, servers, one, {2.0}), (std::vector<uint32_t>{first_choices(*first, servers, one)[0]}));
}

TEST(HashPolicy, NoUpServerIsANoServersError) {
  auto policy = hash_policy();
  Servers servers({1.0, 1.0, 1.0}, {2, 1, 2});
  Streams streams(3);
  try {
    rebalance(*policy, servers, streams, {1.0, 1.0, 1.0}, {0, BERTH_NO_SERVER, 2});
    ADD_FAILURE() << "placed with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 servers, none up (1 draining, 2 read-only)"), std::string::npos)
        << e.what();
  }
  // Owned streams stay where they are while nothing is up.
  EXPECT_EQ(rebalance(*policy, servers, streams, {1.0, 1.0, 1.0}, {0, 1, 2}), (std::vector<uint32_t>{0, 1, 2}));
  auto placer = policy->make_placer(servers.view(), std::vector<double>(3, 0.0).data());
  try {
    placer->place(stream_hash("lonely"), 1.0);
    ADD_FAILURE() << "placed with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
  }
  Servers none({});
  Streams nothing(0);
  EXPECT_TRUE(rebalance(*policy, none, nothing, {}).empty());
}

TEST(HashPolicy, AnInvalidLoadIsRejectedNamingTheStream) {
  auto policy = hash_policy();
  Servers servers = Servers::equal(2);
  Streams streams(3);
  try {
    rebalance(*policy, servers, streams, {1.0, -2.0, 1.0});
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT) << e.what();
    EXPECT_NE(std::string(e.what()).find("stream-1"), std::string::npos) << e.what();
  }
}

void expect_config_error(std::vector<PluginConfig::Entry> config, const std::string& key) {
  try {
    hash_policy(std::move(config));
    ADD_FAILURE() << "configuration accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(HashPolicy, RejectsUnknownKeysAndBadValues) {
  expect_config_error({{"capacity_facter", "1.25", "berth.toml:3"}}, "capacity_facter");
  expect_config_error({{"capacity_factor", "1", "berth.toml:3"}}, "capacity_factor");
  expect_config_error({{"capacity_factor", "big", "berth.toml:3"}}, "capacity_factor");
  EXPECT_NO_THROW(hash_policy({{"capacity_factor", "1.1", ""}}));
}

}  // namespace
}  // namespace berth::policy_test
