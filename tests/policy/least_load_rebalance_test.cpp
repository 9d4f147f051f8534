// least_load's rebalance, through the real plugin: the DL-157 scenarios over many random seeds,
// determinism, server states, and the errors a host must be able to rely on.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

constexpr double kSlack = 1e-9;  // relative slack for sums of doubles

TEST(LeastLoadRebalance, IsVersionTwoOfTheLeastLoadPlugin) {
  auto policy = least_load();
  EXPECT_EQ(policy->plugin().name, "least_load");
  EXPECT_EQ(policy->behaviour_version(), 2u);
}

// DL-157: 1-20 servers, 1-200 streams of equal load: stream counts differ by at most one.
TEST(LeastLoadRebalance, EqualLoadsGiveEveryServerFloorOrCeilingOfItsShare) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 20);
    const uint32_t n = uniform(rng, 1, 200);
    Servers servers = Servers::equal(m);
    Streams streams(n, "s" + std::to_string(seed) + "-");
    const std::vector<double> load(n, 1.0);
    const auto count = count_per_server(rebalance(*policy, servers, streams, load), m);
    for (uint32_t j = 0; j < m; ++j) {
      EXPECT_GE(count[j], n / m) << "seed " << seed << ", server " << j << " of " << m << ", " << n << " streams";
      EXPECT_LE(count[j], n / m + 1) << "seed " << seed << ", server " << j << " of " << m << ", " << n << " streams";
    }
  }
}

// DL-157 with random loads on equal servers: the spread is at most one stream's load.
TEST(LeastLoadRebalance, RandomLoadsOnEqualServersDifferByAtMostTheLargestStream) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 20);
    const uint32_t n = uniform(rng, 1, 200);
    Servers servers = Servers::equal(m);
    Streams streams(n);
    const std::vector<double> load = random_loads(rng, n);
    const auto per_server = load_per_server(rebalance(*policy, servers, streams, load), load, m);
    const double largest = *std::max_element(load.begin(), load.end());
    const auto [least, most] = std::minmax_element(per_server.begin(), per_server.end());
    EXPECT_LE(*most - *least, largest * (1 + kSlack))
        << "seed " << seed << ": " << m << " servers, " << n << " streams";
  }
}

// With capacities, balance is per unit of capacity: a server is above the least relative load
// by at most what one stream adds to it (so no stream could move to a better place alone).
TEST(LeastLoadRebalance, WithCapacitiesLoadPerUnitOfCapacityIsBalanced) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 20);
    const uint32_t n = uniform(rng, 1, 400);
    std::vector<double> capacity(m);
    for (double& c : capacity) c = std::uniform_real_distribution<double>(0.5, 8.0)(rng);
    Servers servers(capacity);
    Streams streams(n);
    const std::vector<double> load = random_loads(rng, n);
    const auto owner = rebalance(*policy, servers, streams, load);
    const auto per_server = load_per_server(owner, load, m);

    std::vector<double> largest_held(m, 0.0), relative(m);
    for (uint64_t i = 0; i < n; ++i) largest_held[owner[i]] = std::max(largest_held[owner[i]], load[i]);
    for (uint32_t j = 0; j < m; ++j) relative[j] = per_server[j] / capacity[j];
    const double least = *std::min_element(relative.begin(), relative.end());
    for (uint32_t j = 0; j < m; ++j)
      EXPECT_LE(relative[j] - largest_held[j] / capacity[j], least * (1 + kSlack) + kSlack)
          << "seed " << seed << ", server " << j << " (capacity " << capacity[j] << ")";
  }
}

// DL-157 placed the smallest stream first. Largest first puts one big stream alone and fills
// the other servers with the small ones; smallest first stacks the big one on top.
TEST(LeastLoadRebalance, PlacesTheLargestStreamFirst) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 2, 10);
    const uint32_t small_per_server = uniform(rng, 2, 20);
    const uint32_t n = m * small_per_server + 1;
    std::vector<double> load(n, 1.0);
    load[uniform(rng, 0, n - 1)] = small_per_server;  // one stream as big as a server's share
    Servers servers = Servers::equal(m);
    Streams streams(n);
    const auto per_server = load_per_server(rebalance(*policy, servers, streams, load), load, m);
    const double total = std::accumulate(load.begin(), load.end(), 0.0);
    const double lower_bound = std::max(total / m, static_cast<double>(small_per_server));
    EXPECT_LE(*std::max_element(per_server.begin(), per_server.end()), lower_bound + 1.0) << "seed " << seed;
  }
}

// Idle streams (load 0) cannot unbalance load, but must not all pile onto one server either.
TEST(LeastLoadRebalance, ZeroLoadStreamsAreSpreadByCount) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 20);
    const uint32_t n = uniform(rng, 1, 300);
    Servers servers = Servers::equal(m);
    Streams streams(n);
    const std::vector<double> load(n, 0.0);
    const auto count = count_per_server(rebalance(*policy, servers, streams, load), m);
    const auto [least, most] = std::minmax_element(count.begin(), count.end());
    EXPECT_LE(*most - *least, 1u) << "seed " << seed;
  }
}

TEST(LeastLoadRebalance, TwoInstancesGiveIdenticalOwners) {
  auto first = least_load();
  auto second = least_load();
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 30);
    const uint32_t n = uniform(rng, 1, 3000);
    std::vector<double> capacity(m);
    for (double& c : capacity) c = static_cast<double>(uniform(rng, 1, 3));
    Servers servers(capacity);
    Streams streams(n);
    // Few distinct loads, so ties (broken by hash, then index) are everywhere.
    std::vector<double> load(n);
    for (double& l : load) l = static_cast<double>(uniform(rng, 0, 4));
    const auto owner = rebalance(*first, servers, streams, load);
    EXPECT_EQ(owner, rebalance(*second, servers, streams, load)) << "seed " << seed;
    EXPECT_EQ(owner, rebalance(*first, servers, streams, load)) << "seed " << seed << ", second call";
  }
}

// Ties go by stream hash, not by the order the host happens to list streams in.
TEST(LeastLoadRebalance, OwnersDoNotDependOnTheOrderStreamsAreListed) {
  auto policy = least_load();
  const uint32_t n = 500;
  Servers servers = Servers::equal(7);
  Streams streams(n);
  std::vector<double> load(n);
  for (uint32_t i = 0; i < n; ++i) load[i] = static_cast<double>(i % 3);
  const auto owner = rebalance(*policy, servers, streams, load);

  // The same streams listed backwards: each id must keep its owner.
  std::vector<std::string> ids;
  for (uint32_t i = n; i-- > 0;) ids.emplace_back(streams.id(i));
  Streams reversed(ids);
  const std::vector<double> reversed_load(load.rbegin(), load.rend());
  const auto reversed_owner = rebalance(*policy, servers, reversed, reversed_load);
  for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(reversed_owner[n - 1 - i], owner[i]) << streams.id(i);
}

// A read-only server keeps exactly the streams it had and takes no new ones; a draining server
// is emptied; the up servers share the rest evenly.
TEST(LeastLoadRebalance, ReadOnlyKeepsItsStreamsAndDrainingIsEmptied) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 3, 12);
    std::vector<int32_t> state(m, BERTH_SERVER_UP);
    const uint32_t read_only = uniform(rng, 0, m - 1), draining = (read_only + 1 + uniform(rng, 0, m - 2)) % m;
    state[read_only] = BERTH_SERVER_READ_ONLY;
    state[draining] = BERTH_SERVER_DRAINING;
    Servers servers(std::vector<double>(m, 1.0), state);
    const uint32_t n = uniform(rng, 1, 400);
    Streams streams(n);
    const std::vector<double> load(n, 1.0);
    std::vector<uint32_t> previous(n);
    for (uint32_t& p : previous) p = uniform(rng, 0, m);  // m itself means "no server before"
    for (uint32_t& p : previous) p = p == m ? BERTH_NO_SERVER : p;

    const auto owner = rebalance(*policy, servers, streams, load, previous);
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_LT(owner[i], m);
      EXPECT_EQ(owner[i] == read_only, previous[i] == read_only) << "seed " << seed << ", stream " << i;
      EXPECT_NE(owner[i], draining) << "seed " << seed << ", stream " << i;
    }
    auto count = count_per_server(owner, m);
    std::vector<uint64_t> up_counts;
    for (uint32_t j = 0; j < m; ++j)
      if (servers.up(j)) up_counts.push_back(count[j]);
    const auto [least, most] = std::minmax_element(up_counts.begin(), up_counts.end());
    EXPECT_LE(*most - *least, 1u) << "seed " << seed;
  }
}

// Every server read-only: nothing can move, and nothing needs to.
TEST(LeastLoadRebalance, AllReadOnlyKeepsEveryStreamWhereItWas) {
  auto policy = least_load();
  Servers servers({1.0, 1.0}, {BERTH_SERVER_READ_ONLY, BERTH_SERVER_READ_ONLY});
  Streams streams(4);
  const std::vector<uint32_t> previous{1, 0, 0, 1};
  EXPECT_EQ(rebalance(*policy, servers, streams, {1.0, 2.0, 3.0, 4.0}, previous), previous);
}

void expect_no_servers(const Policy& policy, const Servers& servers, uint64_t n,
                       const std::vector<uint32_t>& previous, const std::string& expected_text) {
  Streams streams(n);
  try {
    rebalance(policy, servers, streams, std::vector<double>(n, 1.0), previous);
    ADD_FAILURE() << "rebalance succeeded with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
    EXPECT_NE(std::string(e.what()).find(expected_text), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("streams"), std::string::npos) << e.what();
  }
}

TEST(LeastLoadRebalance, ZeroServersIsANoServersError) {
  auto policy = least_load();
  expect_no_servers(*policy, Servers({}), 5, {}, "no servers");
}

TEST(LeastLoadRebalance, NoUpServerIsANoServersError) {
  auto policy = least_load();
  expect_no_servers(*policy, Servers({1.0, 1.0}, {BERTH_SERVER_DRAINING, BERTH_SERVER_DRAINING}), 5, {},
                    "2 servers, none up (2 draining, 0 read-only)");
  // Read-only servers keep what they had, but a stream without an owner has nowhere to go.
  expect_no_servers(*policy, Servers({1.0, 1.0}, {BERTH_SERVER_READ_ONLY, BERTH_SERVER_DRAINING}), 3,
                    {0, 0, BERTH_NO_SERVER}, "none up (1 draining, 1 read-only)");
}

TEST(LeastLoadRebalance, NothingToPlaceNeedsNoServer) {
  auto policy = least_load();
  Streams none(0);
  EXPECT_TRUE(rebalance(*policy, Servers({}), none, {}).empty());
}

TEST(LeastLoadRebalance, AnInvalidLoadIsRejectedNamingTheStream) {
  auto policy = least_load();
  Servers servers = Servers::equal(2);
  Streams streams(3);
  for (double bad : {std::nan(""), -1.0, HUGE_VAL}) {
    try {
      rebalance(*policy, servers, streams, {1.0, bad, 1.0});
      ADD_FAILURE() << "load " << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT);
      EXPECT_NE(std::string(e.what()).find("stream-1"), std::string::npos) << e.what();
    }
  }
}

TEST(LeastLoadRebalance, AnUpServerWithoutCapacityIsRejectedNamingIt) {
  auto policy = least_load();
  Servers servers({1.0, 0.0});
  Streams streams(3);
  try {
    rebalance(*policy, servers, streams, {1.0, 1.0, 1.0});
    ADD_FAILURE() << "capacity 0 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("server-0001"), std::string::npos) << e.what();
  }
}

void expect_config_error(std::vector<PluginConfig::Entry> config, const std::string& key) {
  try {
    least_load(std::move(config));
    ADD_FAILURE() << "configuration accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(LeastLoadRebalance, RejectsUnknownKeysAndBadValues) {
  expect_config_error({{"headrom", "0.2", "berth.toml:3"}}, "headrom");
  expect_config_error({{"headroom", "lots", "berth.toml:3"}}, "headroom");
  expect_config_error({{"burst_cap", "0.5", "berth.toml:4"}}, "burst_cap");
  EXPECT_NO_THROW(least_load({{"headroom", "0.5", ""}, {"burst_cap", "1.2", ""}}));
}

}  // namespace
}  // namespace berth::policy_test
