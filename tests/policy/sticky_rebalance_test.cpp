// sticky through the real plugin: the properties it promises, stated as measured fractions over
// random clusters (join, leave, drain, drift, the band's hysteresis, budgets), determinism, server
// states, and the errors a host relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

constexpr double kSlack = 1e-9;  // relative slack for sums of doubles

// Streams whose owner changed, among those that had one.
uint64_t moved(const std::vector<uint32_t>& previous, const std::vector<uint32_t>& owner) {
  uint64_t count = 0;
  for (size_t i = 0; i < owner.size(); ++i) count += previous[i] != BERTH_NO_SERVER && owner[i] != previous[i];
  return count;
}

double moved_load(const std::vector<uint32_t>& previous, const std::vector<uint32_t>& owner,
                  const std::vector<double>& load) {
  double total = 0;
  for (size_t i = 0; i < owner.size(); ++i)
    if (previous[i] != BERTH_NO_SERVER && owner[i] != previous[i]) total += load[i];
  return total;
}

// Highest load per unit of capacity over the lower bound LB = max(total / up capacity, largest
// stream / largest up capacity).
double max_over_lb(const Servers& servers, const std::vector<uint32_t>& owner, const std::vector<double>& load) {
  const auto per_server = load_per_server(owner, load, servers.count());
  double most = 0, largest_capacity = 0;
  for (uint32_t j = 0; j < servers.count(); ++j) {
    most = std::max(most, per_server[j] / servers.capacity(j));
    if (servers.up(j)) largest_capacity = std::max(largest_capacity, servers.capacity(j));
  }
  const double total = std::accumulate(load.begin(), load.end(), 0.0);
  const double largest = *std::max_element(load.begin(), load.end());
  return most / std::max(total / servers.up_capacity(), largest / largest_capacity);
}

// Every up server within (1 +- band) of the level of the up servers.
void expect_inside_band(const Servers& servers, const std::vector<uint32_t>& owner, const std::vector<double>& load,
                        double band, const std::string& what) {
  const auto per_server = load_per_server(owner, load, servers.count());
  double held = 0;
  for (uint32_t j = 0; j < servers.count(); ++j) held += servers.up(j) ? per_server[j] : 0.0;
  const double level = held / servers.up_capacity();
  for (uint32_t j = 0; j < servers.count(); ++j) {
    if (!servers.up(j)) continue;
    const double relative = per_server[j] / servers.capacity(j) / level;
    EXPECT_LE(relative, 1 + band + kSlack) << what << ", server " << j;
    EXPECT_GE(relative, 1 - band - kSlack) << what << ", server " << j;
  }
}

std::vector<double> drifted(std::vector<double> load, std::mt19937_64& rng, double spread) {
  std::uniform_real_distribution<double> factor(1 - spread, 1 + spread);
  for (double& l : load) l *= factor(rng);
  return load;
}

std::vector<double> random_capacities(std::mt19937_64& rng, uint32_t m) {
  std::vector<double> capacity(m);
  for (double& c : capacity) c = std::uniform_real_distribution<double>(1.0, 4.0)(rng);
  return capacity;
}

// A random cluster placed from scratch: the steady state the other tests start from.
struct Cluster {
  std::unique_ptr<Servers> servers;
  std::unique_ptr<Streams> streams;
  std::vector<double> load;
  std::vector<uint32_t> owner;

  Cluster(const Policy& policy, uint64_t seed, uint32_t m, uint64_t n, bool capacities = false) {
    std::mt19937_64 rng(seed);
    servers = std::make_unique<Servers>(capacities ? random_capacities(rng, m) : std::vector<double>(m, 1.0));
    streams = std::make_unique<Streams>(n, "s" + std::to_string(seed) + "-");
    load = random_loads(rng, n);
    owner = rebalance(policy, *servers, *streams, load);
  }
};

TEST(StickyRebalance, IsVersionTwoOfTheStickyPlugin) {
  auto policy = sticky();
  EXPECT_EQ(policy->plugin().name, "sticky");
  EXPECT_EQ(policy->behaviour_version(), 2u);
}

// With no previous owners, everything is placed largest first onto the emptiest server.
TEST(StickyRebalance, FirstPlacementIsBalancedWithinTheBand) {
  auto policy = sticky();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 2, 50);
    Cluster c(*policy, seed, m, uint64_t{200} * m, seed % 2 == 1);
    EXPECT_LE(max_over_lb(*c.servers, c.owner, c.load), 1.02) << "seed " << seed;
    expect_inside_band(*c.servers, c.owner, c.load, 0.02, "seed " + std::to_string(seed));
  }
}

TEST(StickyRebalance, PlacesTheLargestNewStreamFirstOntoTheServerFurthestBelowItsShare) {
  auto policy = sticky();
  Servers servers = Servers::equal(3);
  Streams streams(5);
  // Streams 0-2 stay where they are; 3 and 4 are new. Server 2 is furthest below: it gets the
  // larger new stream, and the smaller goes to server 1.
  const std::vector<double> load{10.0, 6.0, 1.0, 2.0, 5.0};
  const auto owner = rebalance(*policy, servers, streams, load, {0, 1, 2, BERTH_NO_SERVER, BERTH_NO_SERVER});
  EXPECT_EQ(owner, (std::vector<uint32_t>{0, 1, 2, 1, 2}));
}

TEST(StickyRebalance, TwoInstancesGiveIdenticalOwners) {
  auto first = sticky();
  auto second = sticky();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 2, 30);
    const uint64_t n = uniform(rng, 1, 3000);
    Servers servers(random_capacities(rng, m));
    Streams streams(n);
    const std::vector<double> load = random_loads(rng, n);
    std::vector<uint32_t> previous(n);
    for (uint32_t& p : previous) p = uniform(rng, 0, m);  // m: no owner
    for (uint32_t& p : previous) p = p == m ? BERTH_NO_SERVER : p;
    EXPECT_EQ(rebalance(*first, servers, streams, load, previous), rebalance(*second, servers, streams, load, previous))
        << "seed " << seed;
    EXPECT_EQ(rebalance(*first, servers, streams, load, previous), rebalance(*first, servers, streams, load, previous))
        << "seed " << seed;
  }
}

TEST(StickyRebalance, NothingMovesWhileEveryServerIsInsideTheBand) {
  auto policy = sticky();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 2, 40);
    Cluster c(*policy, seed, m, uint64_t{300} * m, seed % 2 == 0);
    // The same input again, and a drift small enough to keep everything inside the band.
    EXPECT_EQ(rebalance(*policy, *c.servers, *c.streams, c.load, c.owner), c.owner) << "seed " << seed;
    const std::vector<double> nudged = drifted(c.load, rng, 0.001);
    EXPECT_EQ(rebalance(*policy, *c.servers, *c.streams, nudged, c.owner), c.owner) << "seed " << seed;
  }
  // A hand-made assignment at the edges of the band stays as it is.
  Servers servers = Servers::equal(2);
  Streams streams(5);
  const std::vector<uint32_t> previous{0, 0, 0, 1, 1};
  const std::vector<double> load{5.0, 5.0, 0.1, 4.9, 5.0};  // 10.1 vs 9.9: 1% either side of 10
  EXPECT_EQ(rebalance(*policy, servers, streams, load, previous), previous);
  // ...but with a band of 0.005 it is rebalanced, by the one stream that fits.
  auto tight = sticky({{"band", "0.005", ""}});
  EXPECT_EQ(rebalance(*tight, servers, streams, load, previous), (std::vector<uint32_t>{0, 0, 1, 1, 1}));
}

TEST(StickyRebalance, AJoiningServerReceivesAboutItsFairShare) {
  auto policy = sticky();
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 10, 100);
    const uint64_t n = uint64_t{500} * m;
    Cluster c(*policy, seed, m, n);
    Servers joined = Servers::equal(m + 1);  // the new server sorts last: indices stay
    const auto owner = rebalance(*policy, joined, *c.streams, c.load, c.owner);
    const double total = std::accumulate(c.load.begin(), c.load.end(), 0.0);
    const double share = total / (m + 1);
    const double moved = moved_load(c.owner, owner, c.load);
    EXPECT_LE(moved, 1.2 * share) << "seed " << seed;
    EXPECT_GE(moved, 0.9 * share) << "seed " << seed;
    // Nearly all of it to the new server (with fewer than 1 / band servers the old ones are all
    // pushed above the band and also even out among themselves), and few streams: the largest that fit.
    double to_new = 0;
    for (uint64_t i = 0; i < n; ++i) to_new += owner[i] == m ? c.load[i] : 0.0;
    EXPECT_GE(to_new, 0.95 * moved) << "seed " << seed;
    EXPECT_LE(static_cast<double>(berth::policy_test::moved(c.owner, owner)), 0.5 * static_cast<double>(n) / (m + 1))
        << "seed " << seed;
    expect_inside_band(joined, owner, c.load, 0.02, "seed " + std::to_string(seed));
    EXPECT_LE(max_over_lb(joined, owner, c.load), 1.02) << "seed " << seed;
  }
}

TEST(StickyRebalance, ALeavingServerGivesUpOnlyItsOwnStreams) {
  auto policy = sticky();
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 10, 100);
    const uint64_t n = uint64_t{500} * m;
    Cluster c(*policy, seed, m, n);
    const uint32_t leaving = uniform(rng, 0, m - 1);
    // The host renumbers the servers after the one that left; its streams have no owner.
    std::vector<uint32_t> previous(c.owner);
    uint64_t its_streams = 0;
    for (uint32_t& p : previous) {
      if (p == leaving) {
        p = BERTH_NO_SERVER;
        ++its_streams;
      } else if (p > leaving) {
        --p;
      }
    }
    Servers left = Servers::equal(m - 1);
    const auto owner = rebalance(*policy, left, *c.streams, c.load, previous);
    const uint64_t total_moved = its_streams + moved(previous, owner);
    EXPECT_LE(static_cast<double>(total_moved), 1.05 * static_cast<double>(its_streams)) << "seed " << seed;
    expect_inside_band(left, owner, c.load, 0.02, "seed " + std::to_string(seed));
  }
}

TEST(StickyRebalance, DriftOfTenPercentMovesFewStreamsAndKeepsTheBalance) {
  auto policy = sticky();
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 10, 100);
    const uint64_t n = uint64_t{500} * m;
    Cluster c(*policy, seed, m, n, seed % 2 == 1);
    const std::vector<double> load = drifted(c.load, rng, 0.10);
    const auto owner = rebalance(*policy, *c.servers, *c.streams, load, c.owner);
    EXPECT_LE(static_cast<double>(moved(c.owner, owner)), 0.02 * static_cast<double>(n)) << "seed " << seed;
    EXPECT_LE(max_over_lb(*c.servers, owner, load), 1.05) << "seed " << seed;
    expect_inside_band(*c.servers, owner, load, 0.02, "seed " + std::to_string(seed));
  }
}

// Servers that were pushed out of the band are brought back inside it, each by moving streams
// toward the level (not just to the band's edge).
TEST(StickyRebalance, ServersOutsideTheBandAreBroughtBackInside) {
  auto policy = sticky();
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 5, 50);
    const uint64_t n = uint64_t{300} * m;
    Servers servers(random_capacities(rng, m));
    Streams streams(n);
    const std::vector<double> load = random_loads(rng, n);
    std::vector<uint32_t> previous(n);
    for (uint32_t& p : previous) p = uniform(rng, 0, m / 2);  // half the servers hold everything
    const auto owner = rebalance(*policy, servers, streams, load, previous);
    expect_inside_band(servers, owner, load, 0.02, "seed " + std::to_string(seed));
    // Refreshing again moves nothing.
    EXPECT_EQ(rebalance(*policy, servers, streams, load, owner), owner) << "seed " << seed;
  }
}

// Scaling out from one server to many moves nearly everything, one stream at a time: the
// balance step must stay fast (a moved stream is unlinked from its bucket, not erased).
TEST(StickyRebalance, ScalingOutFromOneServerReachesTheBand) {
  auto policy = sticky();
  constexpr uint64_t kStreams = 100'000;
  Servers servers = Servers::equal(100);
  Streams streams(kStreams);
  std::mt19937_64 rng(21);
  const std::vector<double> load = random_loads(rng, kStreams);
  const std::vector<uint32_t> previous(kStreams, 0);
  const auto owner = rebalance(*policy, servers, streams, load, previous);
  expect_inside_band(servers, owner, load, 0.02, "scale-out");
  EXPECT_LE(static_cast<double>(moved(previous, owner)), 0.995 * kStreams);  // server 0 keeps its share
  EXPECT_EQ(rebalance(*policy, servers, streams, load, owner), owner);
}

TEST(StickyRebalance, TheMoveBudgetIsRespectedExactly) {
  for (uint64_t budget : {0u, 1u, 7u, 50u}) {
    auto policy = sticky({{"max_moves", std::to_string(budget), ""}});
    auto unlimited = sticky();
    Cluster c(*unlimited, 3, 20, 4000);
    Servers joined = Servers::equal(24);  // four empty servers: far more than `budget` moves wanted
    const auto owner = rebalance(*policy, joined, *c.streams, c.load, c.owner);
    EXPECT_EQ(moved(c.owner, owner), budget);
  }
  // The load budget: never more than the fraction, and it still moves what fits.
  for (double fraction : {0.001, 0.01, 0.03}) {
    auto policy = sticky({{"max_moved_load_fraction", std::to_string(fraction), ""}});
    Cluster c(*policy, 4, 20, 4000);
    Servers joined = Servers::equal(24);
    const auto owner = rebalance(*policy, joined, *c.streams, c.load, c.owner);
    const double total = std::accumulate(c.load.begin(), c.load.end(), 0.0);
    EXPECT_LE(moved_load(c.owner, owner, c.load), fraction * total * (1 + kSlack));
    EXPECT_GE(moved_load(c.owner, owner, c.load), 0.9 * fraction * total) << fraction;
  }
}

TEST(StickyRebalance, StreamsWithoutAnOwnerAreOutsideTheBudget) {
  auto policy = sticky({{"max_moves", "0", ""}});
  Servers servers = Servers::equal(4);
  Streams streams(100);
  const std::vector<double> load(100, 1.0);
  const auto owner = rebalance(*policy, servers, streams, load);
  const auto count = count_per_server(owner, 4);
  for (uint32_t j = 0; j < 4; ++j) EXPECT_EQ(count[j], 25u) << "server " << j;
}

TEST(StickyRebalance, ReadOnlyKeepsItsStreamsAndTakesNothing) {
  auto policy = sticky();
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 3, 20);
    const uint64_t n = uint64_t{200} * m;
    std::vector<int32_t> state(m, BERTH_SERVER_UP);
    const uint32_t read_only = uniform(rng, 0, m - 1);
    state[read_only] = BERTH_SERVER_READ_ONLY;
    Servers servers(std::vector<double>(m, 1.0), state);
    Streams streams(n);
    const std::vector<double> load = random_loads(rng, n);
    // Everything starts on the read-only server and one other, plus some new streams.
    std::vector<uint32_t> previous(n);
    for (uint64_t i = 0; i < n; ++i)
      previous[i] = i % 3 == 0 ? read_only : i % 3 == 1 ? (read_only + 1) % m : BERTH_NO_SERVER;
    const auto owner = rebalance(*policy, servers, streams, load, previous);
    for (uint64_t i = 0; i < n; ++i) {
      if (previous[i] == read_only) {
        EXPECT_EQ(owner[i], read_only) << "seed " << seed << ", stream " << i;
      } else {
        EXPECT_NE(owner[i], read_only) << "seed " << seed << ", stream " << i;
      }
    }
    expect_inside_band(servers, owner, load, 0.02, "seed " + std::to_string(seed));
  }
}

TEST(StickyRebalance, ADrainingServerIsEmptiedOverSuccessiveRefreshesWithinTheBudget) {
  constexpr uint64_t kBudget = 40;
  auto policy = sticky({{"max_moves", std::to_string(kBudget), ""}});
  Cluster c(*policy, 5, 10, 3000);
  const uint32_t draining = 4;
  std::vector<int32_t> state(10, BERTH_SERVER_UP);
  state[draining] = BERTH_SERVER_DRAINING;
  Servers servers(std::vector<double>(10, 1.0), state);
  auto held = [&](const std::vector<uint32_t>& owner) { return count_per_server(owner, 10)[draining]; };

  std::vector<uint32_t> owner = c.owner;
  const uint64_t at_start = held(owner);
  ASSERT_GT(at_start, 3 * kBudget);
  uint64_t refreshes = 0;
  while (held(owner) > 0) {
    const uint64_t before = held(owner);
    std::vector<uint32_t> next = rebalance(*policy, servers, *c.streams, c.load, owner);
    EXPECT_LE(moved(owner, next), kBudget);
    EXPECT_EQ(held(next), before - std::min(before, kBudget)) << "refresh " << refreshes;
    // Only the draining server's streams move while it is being drained.
    for (size_t i = 0; i < owner.size(); ++i)
      if (next[i] != owner[i]) {
        EXPECT_EQ(owner[i], draining);
      }
    owner = std::move(next);
    ASSERT_LE(++refreshes, at_start / kBudget + 1);
  }
  EXPECT_EQ(refreshes, (at_start + kBudget - 1) / kBudget);
  expect_inside_band(servers, owner, c.load, 0.02, "drained");
  // Without a budget it is emptied at once.
  auto unlimited = sticky();
  const auto at_once = rebalance(*unlimited, servers, *c.streams, c.load, c.owner);
  EXPECT_EQ(held(at_once), 0u);
}

TEST(StickyRebalance, WithNoUpServerDrainingStreamsStayWhereTheyAre) {
  auto policy = sticky();
  Servers servers({1.0, 1.0}, {BERTH_SERVER_DRAINING, BERTH_SERVER_READ_ONLY});
  Streams streams(4);
  const std::vector<uint32_t> previous{0, 1, 0, 1};
  EXPECT_EQ(rebalance(*policy, servers, streams, {1.0, 2.0, 3.0, 4.0}, previous), previous);
}

void expect_no_servers(const Servers& servers, const std::string& expected_text) {
  auto policy = sticky();
  Streams streams(3);
  try {
    rebalance(*policy, servers, streams, {1.0, 1.0, 1.0});
    ADD_FAILURE() << "placed with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
    EXPECT_NE(std::string(e.what()).find(expected_text), std::string::npos) << e.what();
  }
}

TEST(StickyRebalance, ZeroServersIsANoServersError) { expect_no_servers(Servers({}), "no servers"); }

TEST(StickyRebalance, NoUpServerIsANoServersError) {
  expect_no_servers(Servers({1.0, 1.0, 1.0}, {2, 1, 2}), "3 servers, none up (1 draining, 2 read-only)");
}

TEST(StickyRebalance, NothingToPlaceNeedsNoServer) {
  auto policy = sticky();
  Servers none({});
  Streams streams(0);
  EXPECT_TRUE(rebalance(*policy, none, streams, {}).empty());
}

TEST(StickyRebalance, AStreamLargerThanAFairShareIsJustPlaced) {
  auto policy = sticky();
  Servers servers = Servers::equal(4);
  Streams streams(41);
  std::vector<double> load(41, 1.0);
  load[0] = 100.0;  // more than the whole rest
  const auto owner = rebalance(*policy, servers, streams, load);
  const auto count = count_per_server(owner, 4);
  // The giant is alone; the 40 others share the three other servers evenly.
  EXPECT_EQ(count[owner[0]], 1u);
  for (uint32_t j = 0; j < 4; ++j)
    if (j != owner[0]) {
      EXPECT_TRUE(count[j] >= 13 && count[j] <= 14) << "server " << j << ": " << count[j];
    }
  // And a refresh moves nothing.
  EXPECT_EQ(rebalance(*policy, servers, streams, load, owner), owner);
}

TEST(StickyRebalance, ZeroLoadStreamsAreSpreadByCount) {
  auto policy = sticky();
  Servers servers = Servers::equal(5);
  Streams streams(1000);
  const auto count = count_per_server(rebalance(*policy, servers, streams, std::vector<double>(1000, 0.0)), 5);
  for (uint32_t j = 0; j < 5; ++j) EXPECT_EQ(count[j], 200u) << "server " << j;
}

TEST(StickyRebalance, AnInvalidLoadIsRejectedNamingTheStream) {
  auto policy = sticky();
  Servers servers = Servers::equal(2);
  Streams streams(3);
  for (double bad : {-1.0, std::nan(""), HUGE_VAL}) {
    try {
      rebalance(*policy, servers, streams, {1.0, bad, 1.0}, {0, 1, 0});
      ADD_FAILURE() << "load " << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT);
      EXPECT_NE(std::string(e.what()).find("stream-1"), std::string::npos) << e.what();
    }
  }
}

// At a larger size: one join, one leave, one drift in a row, each within its floor.
TEST(StickyRebalance, JoinLeaveAndDriftAtScale) {
  auto policy = sticky();
  constexpr uint32_t kServers = 200;
  constexpr uint64_t kStreams = 200'000;
  Cluster c(*policy, 11, kServers, kStreams);
  const double total = std::accumulate(c.load.begin(), c.load.end(), 0.0);
  EXPECT_LE(max_over_lb(*c.servers, c.owner, c.load), 1.02);

  Servers joined = Servers::equal(kServers + 1);
  const auto after_join = rebalance(*policy, joined, *c.streams, c.load, c.owner);
  EXPECT_LE(moved_load(c.owner, after_join, c.load), 1.2 * total / (kServers + 1));
  EXPECT_LE(max_over_lb(joined, after_join, c.load), 1.02);

  std::vector<uint32_t> previous(after_join);
  uint64_t its_streams = 0;
  for (uint32_t& p : previous) {
    if (p == 0) {
      p = BERTH_NO_SERVER;
      ++its_streams;
    } else {
      --p;
    }
  }
  Servers left = Servers::equal(kServers);
  const auto after_leave = rebalance(*policy, left, *c.streams, c.load, previous);
  EXPECT_LE(static_cast<double>(its_streams + moved(previous, after_leave)), 1.05 * static_cast<double>(its_streams));
  EXPECT_LE(max_over_lb(left, after_leave, c.load), 1.02);

  std::mt19937_64 rng(12);
  const std::vector<double> load = drifted(c.load, rng, 0.10);
  const auto after_drift = rebalance(*policy, left, *c.streams, load, after_leave);
  EXPECT_LE(static_cast<double>(moved(after_leave, after_drift)), 0.02 * kStreams);
  EXPECT_LE(max_over_lb(left, after_drift, load), 1.05);
}

TEST(StickyPlacer, PlacesNewStreamsOnUpServersAlikeOnEveryNode) {
  auto first = sticky();
  auto second = sticky();
  std::vector<int32_t> state{BERTH_SERVER_UP, BERTH_SERVER_DRAINING, BERTH_SERVER_UP, BERTH_SERVER_READ_ONLY};
  Servers servers({1.0, 1.0, 2.0, 1.0}, state);
  const std::vector<double> server_load{10.0, 5.0, 10.0, 1.0};
  auto a = first->make_placer(servers.view(), server_load.data());
  auto b = second->make_placer(servers.view(), server_load.data());
  const auto landed = place_burst(*a, 4, 2000);
  EXPECT_EQ(landed, place_burst(*b, 4, 2000));
  EXPECT_EQ(landed[1], 0u);
  EXPECT_EQ(landed[3], 0u);
  EXPECT_GT(landed[2], landed[0]);  // the emptier per unit of capacity gets more
  Servers none({1.0}, {BERTH_SERVER_DRAINING});
  auto nowhere = first->make_placer(none.view(), std::vector<double>{1.0}.data());
  try {
    nowhere->place(stream_hash("lonely"), 1.0);
    ADD_FAILURE() << "placed with no up server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NO_SERVERS) << e.what();
  }
}

void expect_config_error(std::vector<PluginConfig::Entry> config, const std::string& key) {
  try {
    sticky(std::move(config));
    ADD_FAILURE() << "configuration accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CONFIG) << e.what();
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(StickyRebalance, RejectsUnknownKeysAndBadValues) {
  expect_config_error({{"bnad", "0.02", "berth.toml:3"}}, "bnad");
  expect_config_error({{"band", "-0.1", "berth.toml:3"}}, "band");
  expect_config_error({{"band", "wide", "berth.toml:3"}}, "band");
  expect_config_error({{"max_moves", "-1", "berth.toml:4"}}, "max_moves");
  expect_config_error({{"max_moves", "1.5", "berth.toml:4"}}, "max_moves");
  expect_config_error({{"max_moves", "lots", "berth.toml:4"}}, "max_moves");
  expect_config_error({{"max_moved_load_fraction", "2", "berth.toml:5"}}, "max_moved_load_fraction");
  EXPECT_NO_THROW(sticky({{"band", "0.05", ""},
                          {"max_moves", "1000", ""},
                          {"max_moved_load_fraction", "0.1", ""},
                          {"headroom", "0.5", ""},
                          {"burst_cap", "1.2", ""}}));
  EXPECT_NO_THROW(sticky({{"max_moves", "unlimited", ""}}));
}

}  // namespace
}  // namespace berth::policy_test
