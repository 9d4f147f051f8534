// least_load's placer (streams not in a snapshot yet), through the real plugin: where single new
// streams go, how a burst against one snapshot spreads, purity, and errors.
#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <thread>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

constexpr uint64_t kBurst = 10'000;

std::shared_ptr<const Placer> placer_for(const Policy& policy, const Servers& servers,
                                         const std::vector<double>& load) {
  return policy.make_placer(servers.view(), load.data());
}

std::vector<double> random_capacities(std::mt19937_64& rng, uint32_t m, double low, double high) {
  std::vector<double> capacity(m);
  for (double& c : capacity) c = std::uniform_real_distribution<double>(low, high)(rng);
  return capacity;
}

// One server just joined (empty) and the rest are evenly loaded: it gets more new streams, for
// its capacity, than any other server, and more than its fair share.
TEST(LeastLoadPlacer, AFreshServerGetsTheLargestShareOfNewStreams) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 2, 20);
    const std::vector<double> capacity = random_capacities(rng, m, 1.0, 4.0);
    Servers servers(capacity);
    const uint32_t fresh = uniform(rng, 0, m - 1);
    std::vector<double> load(capacity);  // every server at relative load 1 ...
    load[fresh] = 0.0;                   // ... but the new one
    const auto landed = place_burst(*placer_for(*policy, servers, load), m, kBurst);

    const double total_capacity = std::accumulate(capacity.begin(), capacity.end(), 0.0);
    auto share_ratio = [&](uint32_t j) { return landed[j] / (kBurst * capacity[j] / total_capacity); };
    EXPECT_GT(share_ratio(fresh), 1.0) << "seed " << seed;
    for (uint32_t j = 0; j < m; ++j) {
      if (j != fresh) {
        EXPECT_GT(share_ratio(fresh), share_ratio(j)) << "seed " << seed << ", server " << j;
      }
    }
  }
  // With one other server, the new one gets most of them.
  Servers pair = Servers::equal(2);
  const auto landed = place_burst(*placer_for(*policy, pair, {5.0, 0.0}), 2, kBurst);
  EXPECT_GT(landed[1], kBurst / 2);
}

// A server well above the others is above the water level: it gets no new stream at all.
TEST(LeastLoadPlacer, NeverPlacesOnAServerAboveTheWaterLevel) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 3, 20);
    Servers servers = Servers::equal(m);
    std::vector<double> load(m);
    for (double& l : load) l = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    const uint32_t hot = uniform(rng, 0, m - 1);
    load[hot] = 5.0;
    const auto landed = place_burst(*placer_for(*policy, servers, load), m, kBurst);
    EXPECT_EQ(landed[hot], 0u) << "seed " << seed;
  }
}

// Most of the capacity is well below the mean and the rest well above: every new stream goes
// to a server below its fair share.
TEST(LeastLoadPlacer, InAnUnbalancedClusterNewStreamsGoBelowTheirFairShare) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 4, 20);
    const uint32_t busy = std::max<uint32_t>(1, m / 4);
    Servers servers = Servers::equal(m);
    std::vector<double> load(m);
    for (uint32_t j = 0; j < m; ++j)
      load[j] = j < busy ? std::uniform_real_distribution<double>(2.0, 3.0)(rng)
                         : std::uniform_real_distribution<double>(0.0, 0.2)(rng);
    std::shuffle(load.begin(), load.end(), rng);
    const double mean = std::accumulate(load.begin(), load.end(), 0.0) / m;
    const auto landed = place_burst(*placer_for(*policy, servers, load), m, kBurst);
    for (uint32_t j = 0; j < m; ++j) {
      if (load[j] >= mean) {
        EXPECT_EQ(landed[j], 0u) << "seed " << seed << ": server " << j << " is above the mean";
      }
    }
  }
}

TEST(LeastLoadPlacer, IsAPureFunctionOfTheSnapshotAndTheHash) {
  auto first = least_load();
  auto second = least_load();
  std::mt19937_64 rng(7);
  const std::vector<double> capacity = random_capacities(rng, 13, 1.0, 3.0);
  Servers servers(capacity);
  const std::vector<double> load = random_loads(rng, 13);
  auto placer = placer_for(*first, servers, load);
  auto same_data = placer_for(*second, servers, load);
  Streams streams(5000, "fresh-");
  for (uint64_t i = 0; i < streams.count(); ++i) {
    const uint32_t server = placer->place(streams.hash(i), 1.0);
    ASSERT_LT(server, servers.count());
    EXPECT_EQ(placer->place(streams.hash(i), 1.0), server) << streams.id(i);
    EXPECT_EQ(same_data->place(streams.hash(i), 1.0), server) << streams.id(i);
    EXPECT_EQ(placer->place(streams.hash(i), 42.0), server) << streams.id(i) << " with another load";
  }
}

TEST(LeastLoadPlacer, PlaceIsSafeFromManyThreads) {
  auto policy = least_load();
  Servers servers = Servers::equal(9);
  std::mt19937_64 rng(3);
  auto placer = placer_for(*policy, servers, random_loads(rng, 9));
  Streams streams(20'000, "threaded-");
  std::vector<uint32_t> expected(streams.count());
  for (uint64_t i = 0; i < streams.count(); ++i) expected[i] = placer->place(streams.hash(i), 1.0);

  std::vector<std::vector<uint32_t>> seen(4, std::vector<uint32_t>(streams.count()));
  std::vector<std::thread> threads;
  for (auto& out : seen)
    threads.emplace_back([&, out = &out] {
      for (uint64_t i = 0; i < streams.count(); ++i) (*out)[i] = placer->place(streams.hash(i), 1.0);
    });
  for (auto& t : threads) t.join();
  for (const auto& out : seen) EXPECT_EQ(out, expected);
}

// 10,000 new streams against one snapshot after a real least_load rebalance: no server gets more
// than twice its fair share (by capacity) of them. Half the seeds have few streams per server,
// where LPT leaves whole servers far below the others and a placer without a cap piles onto them.
TEST(LeastLoadPlacer, ABurstAgainstOneSnapshotSpreads) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 60; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 20);
    const uint32_t n = uniform(rng, 1, seed % 2 == 0 ? 10 * m : 2000);
    const std::vector<double> capacity = random_capacities(rng, m, 1.0, 3.0);
    Servers servers(capacity);
    Streams streams(n);
    const std::vector<double> load = random_loads(rng, n);
    const auto server_load = load_per_server(rebalance(*policy, servers, streams, load), load, m);
    const auto landed =
        place_burst(*placer_for(*policy, servers, server_load), m, kBurst, "burst-" + std::to_string(seed) + "-");

    const double total_capacity = std::accumulate(capacity.begin(), capacity.end(), 0.0);
    for (uint32_t j = 0; j < m; ++j)
      EXPECT_LE(static_cast<double>(landed[j]), 2.0 * kBurst * capacity[j] / total_capacity)
          << "seed " << seed << ": server " << j << " of " << m << " after " << n << " streams";
  }
}

// Nothing loaded yet: new streams spread by capacity.
TEST(LeastLoadPlacer, AnEmptyClusterSpreadsByCapacity) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 8);
    const std::vector<double> capacity = random_capacities(rng, m, 1.0, 2.0);
    Servers servers(capacity);
    const auto landed = place_burst(*placer_for(*policy, servers, std::vector<double>(m, 0.0)), m, kBurst);
    const double total_capacity = std::accumulate(capacity.begin(), capacity.end(), 0.0);
    for (uint32_t j = 0; j < m; ++j) {
      const double fair = kBurst * capacity[j] / total_capacity;
      EXPECT_NEAR(static_cast<double>(landed[j]), fair, 0.25 * fair) << "seed " << seed << ", server " << j;
    }
  }
}

TEST(LeastLoadPlacer, OnlyUpServersReceiveNewStreams) {
  auto policy = least_load();
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 2, 12);
    std::vector<int32_t> state(m);
    for (int32_t& s : state) s = static_cast<int32_t>(uniform(rng, 0, 2));
    state[uniform(rng, 0, m - 1)] = BERTH_SERVER_UP;
    Servers servers(std::vector<double>(m, 1.0), state);
    std::vector<double> load(m);
    for (uint32_t j = 0; j < m; ++j) load[j] = servers.up(j) ? 10.0 : 0.0;  // the others look inviting
    const auto landed = place_burst(*placer_for(*policy, servers, load), m, 2000);
    for (uint32_t j = 0; j < m; ++j) {
      if (!servers.up(j)) {
        EXPECT_EQ(landed[j], 0u) << "seed " << seed << ", server " << j << " state " << state[j];
      }
    }
  }
}

void expect_no_servers(const Policy& policy, const Servers& servers, const std::string& expected_text) {
  auto placer = policy.make_placer(servers.view(), std::vector<double>(servers.count(), 0.0).data());
  try {
    placer->place(stream_hash("lonely"), 1.0);
    ADD_FAILURE() << "placed with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
    EXPECT_NE(std::string(e.what()).find(expected_text), std::string::npos) << e.what();
  }
}

TEST(LeastLoadPlacer, ZeroServersIsANoServersError) { expect_no_servers(*least_load(), Servers({}), "no servers"); }

TEST(LeastLoadPlacer, NoUpServerIsANoServersError) {
  expect_no_servers(*least_load(), Servers({1.0, 1.0, 1.0}, {2, 1, 2}), "3 servers, none up (1 draining, 2 read-only)");
}

TEST(LeastLoadPlacer, AnInvalidServerLoadIsRejectedNamingTheServer) {
  auto policy = least_load();
  Servers servers = Servers::equal(3);
  try {
    placer_for(*policy, servers, {1.0, 1.0, std::nan("")});
    ADD_FAILURE() << "NaN server load accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("server-0002"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace berth::policy_test
