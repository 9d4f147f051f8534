// dl157 through the real plugin: DistributedLog's LeastLoadPlacementPolicy exactly as shipped,
// including its weaknesses (smallest stream first, full recompute, one server for every new
// stream), which these tests pin down so the benchmark baseline stays the baseline.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

std::shared_ptr<Policy> dl157(std::vector<PluginConfig::Entry> config = {}) {
  return policy_plugin("dl157", std::move(config));
}

// The reference: DL's refresh() written the obvious way. Streams in ascending (load, id) order,
// each onto the up server with the least (load, index), found by a linear scan.
std::vector<uint32_t> reference(const Servers& servers, const Streams& streams, const std::vector<double>& load) {
  std::vector<uint64_t> order(streams.count());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) {
    return load[a] != load[b] ? load[a] < load[b] : streams.id(a) < streams.id(b);
  });
  std::vector<double> held(servers.count(), 0.0);
  std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
  for (uint64_t i : order) {
    uint32_t best = BERTH_NO_SERVER;
    for (uint32_t j = 0; j < servers.count(); ++j)
      if (servers.up(j) && (best == BERTH_NO_SERVER || held[j] < held[best])) best = j;
    owner[i] = best;
    held[best] += load[i];
  }
  return owner;
}

void expect_error(int32_t code, const std::function<void()>& call) {
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

TEST(Dl157Policy, IsBehaviourVersionOne) {
  auto policy = dl157();
  EXPECT_EQ(policy->plugin().name, "dl157");
  EXPECT_EQ(policy->behaviour_version(), 1u);
}

// Loads {1, 1, 2} on two servers: largest first would give 2 | 1+1; DL, smallest first, puts the
// two 1s on either server and then the 2 on server 0 (tied at 1, so the first by name): 3 | 1.
TEST(Dl157Policy, PlacesTheSmallestStreamFirstAsShipped) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  Streams streams(3);
  const std::vector<double> load{1.0, 1.0, 2.0};
  const auto owner = rebalance(*policy, servers, streams, load);
  EXPECT_EQ(owner, (std::vector<uint32_t>{0, 1, 0}));
  EXPECT_EQ(load_per_server(owner, load, 2), (std::vector<double>{3.0, 1.0}));

  // A bigger case where the order shows in the balance: one heavy stream and many light ones.
  // Smallest first spreads the light ones evenly, then the heavy one lands on top of a full
  // server; largest first would have given it a server to itself.
  Servers three = Servers::equal(3);
  Streams many(10);
  std::vector<double> skewed(10, 1.0);
  skewed[7] = 6.0;
  const auto per_server = load_per_server(rebalance(*policy, three, many, skewed), skewed, 3);
  EXPECT_EQ(per_server, (std::vector<double>{9.0, 3.0, 3.0}));  // largest first: {6, 5, 4} or similar
}

// Ties between streams of equal load go by stream id, as Java's TreeSet<StreamLoad> ordered them,
// not by where the stream sits in the stream set.
TEST(Dl157Policy, BreaksLoadTiesByStreamId) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  Streams streams(std::vector<std::string>{"b", "a", "c"});
  const auto owner = rebalance(*policy, servers, streams, {1.0, 1.0, 1.0});
  EXPECT_EQ(owner, (std::vector<uint32_t>{1, 0, 0}));  // a -> 0, b -> 1, c -> 0
}

TEST(Dl157Policy, MatchesTheReferenceOnRandomClusters) {
  auto policy = dl157();
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 30);
    std::vector<int32_t> state(m, BERTH_SERVER_UP);
    for (int32_t& s : state)
      if (uniform(rng, 0, 4) == 0) s = static_cast<int32_t>(uniform(rng, 1, 2));
    state[uniform(rng, 0, m - 1)] = BERTH_SERVER_UP;
    std::vector<double> capacity(m);
    for (double& c : capacity) c = std::uniform_real_distribution<double>(0.5, 8.0)(rng);
    Servers servers(capacity, state);
    const uint64_t n = uniform(rng, 0, 3000);
    std::vector<double> load = random_loads(rng, n);
    for (double& l : load)
      if (uniform(rng, 0, 9) == 0) l = std::round(l);  // plenty of ties, and zeros
    Streams streams(n, "s-");
    EXPECT_EQ(rebalance(*policy, servers, streams, load), reference(servers, streams, load)) << "seed " << seed;
  }
}

// Equal loads (DL's EqualLoadAppraiser): round robin by server name, so every server holds
// floor(n/m) or ceil(n/m) streams, the first n % m servers the ceiling.
TEST(Dl157Policy, EqualLoadsGiveFloorOrCeiling) {
  auto policy = dl157();
  for (const auto& [n, m] : std::vector<std::pair<uint64_t, uint32_t>>{{1000, 7}, {10, 10}, {3, 5}, {1001, 1}}) {
    Servers servers = Servers::equal(m);
    Streams streams(n);
    const auto count = count_per_server(rebalance(*policy, servers, streams, std::vector<double>(n, 1.0)), m);
    for (uint32_t j = 0; j < m; ++j) EXPECT_EQ(count[j], n / m + (j < n % m ? 1 : 0)) << n << " on " << m << ", " << j;
  }
}

// DL had no capacities and no previous assignment: neither changes anything, and only up
// servers take streams (a read-only server's streams are dealt out again too).
TEST(Dl157Policy, IgnoresCapacitiesAndPreviousOwnersAndUsesOnlyUpServers) {
  auto policy = dl157();
  std::mt19937_64 rng(7);
  const uint64_t n = 2000;
  const std::vector<double> load = random_loads(rng, n);
  Streams streams(n);
  Servers plain = Servers::equal(5);
  Servers uneven(std::vector<double>{1.0, 10.0, 0.5, 3.0, 100.0});
  const auto owner = rebalance(*policy, plain, streams, load);
  EXPECT_EQ(rebalance(*policy, uneven, streams, load), owner);
  std::vector<uint32_t> previous(n);
  for (uint32_t& p : previous) p = uniform(rng, 0, 4);
  EXPECT_EQ(rebalance(*policy, plain, streams, load, previous), owner);

  Servers mixed(std::vector<double>(5, 1.0), {BERTH_SERVER_DRAINING, BERTH_SERVER_UP, BERTH_SERVER_READ_ONLY,
                                              BERTH_SERVER_UP, BERTH_SERVER_UP});
  std::vector<uint32_t> on_read_only(n, 2);
  const auto count = count_per_server(rebalance(*policy, mixed, streams, load, on_read_only), 5);
  EXPECT_EQ(count[0], 0u);
  EXPECT_EQ(count[2], 0u);
  EXPECT_EQ(count[1] + count[3] + count[4], n);
}

// The weakness Berth's own placer fixes: until the next snapshot, every new stream goes to the
// one least-loaded up server, whatever its id; capacity plays no part.
TEST(Dl157Placer, SendsEveryNewStreamToTheOneLeastLoadedServer) {
  auto policy = dl157();
  Servers servers(std::vector<double>{1.0, 1.0, 4.0, 1.0, 1.0},
                  {BERTH_SERVER_DRAINING, BERTH_SERVER_UP, BERTH_SERVER_UP, BERTH_SERVER_UP, BERTH_SERVER_UP});
  // Server 0 is emptiest but draining; 1 and 3 tie at the least load (1 wins by name); 2 has four
  // times the capacity, which DL does not know about.
  const std::vector<double> load{0.0, 2.0, 3.0, 2.0, 9.0};
  auto placer = policy->make_placer(servers.view(), load.data());
  const auto landed = place_burst(*placer, 5, 10'000);
  EXPECT_EQ(landed, (std::vector<uint64_t>{0, 10'000, 0, 0, 0}));
  for (double stream_load : {0.0, 1.0, 1e6}) EXPECT_EQ(placer->place(12345, stream_load), 1u);

  // A fresh snapshot with server 3 lighter sends them all there instead.
  const std::vector<double> after{0.0, 2.0, 3.0, 1.5, 9.0};
  EXPECT_EQ(place_burst(*policy->make_placer(servers.view(), after.data()), 5, 1000),
            (std::vector<uint64_t>{0, 0, 0, 1000, 0}));
}

// Every node computes the same assignment: another instance, the same call again, and the
// streams in another order (DL's order depends only on loads and ids) agree.
TEST(Dl157Policy, IsDeterministic) {
  std::mt19937_64 rng(11);
  const uint64_t n = 5000;
  const std::vector<double> load = random_loads(rng, n);
  std::vector<std::string> ids;
  for (uint64_t i = 0; i < n; ++i) ids.push_back("stream-" + std::to_string(i));
  Streams streams(ids);
  Servers servers = Servers::equal(17);
  auto first = dl157();
  const auto owner = rebalance(*first, servers, streams, load);
  EXPECT_EQ(rebalance(*first, servers, streams, load), owner);
  EXPECT_EQ(rebalance(*dl157(), servers, streams, load), owner);

  std::vector<size_t> permutation(n);
  std::iota(permutation.begin(), permutation.end(), 0);
  std::shuffle(permutation.begin(), permutation.end(), rng);
  std::vector<std::string> shuffled_ids;
  std::vector<double> shuffled_load;
  for (size_t k : permutation) {
    shuffled_ids.push_back(ids[k]);
    shuffled_load.push_back(load[k]);
  }
  Streams shuffled(shuffled_ids);
  const auto shuffled_owner = rebalance(*first, servers, shuffled, shuffled_load);
  for (size_t k = 0; k < n; ++k) EXPECT_EQ(shuffled_owner[k], owner[permutation[k]]) << ids[permutation[k]];
}

// The full recompute: one server joining 20 moves most streams (Berth's sticky moves ~1/21).
TEST(Dl157Policy, RecomputesEverythingSoAJoinMovesMostStreams) {
  auto policy = dl157();
  std::mt19937_64 rng(3);
  const uint64_t n = 20'000;
  const std::vector<double> load = random_loads(rng, n);
  Streams streams(n);
  Servers before = Servers::equal(20);
  Servers after = Servers::equal(21);  // server-0020 joins, after the others by name
  const auto owner_before = rebalance(*policy, before, streams, load);
  const auto owner_after = rebalance(*policy, after, streams, load, owner_before);
  uint64_t moved = 0;
  for (uint64_t i = 0; i < n; ++i) moved += owner_before[i] != owner_after[i];
  EXPECT_GT(moved, n / 2);
}

TEST(Dl157Policy, FailsWithNoServersWhenStreamsNeedOne) {
  auto policy = dl157();
  Streams streams(3);
  const std::vector<double> load{1.0, 2.0, 3.0};
  Servers none = Servers::equal(0);
  expect_error(BERTH_E_NO_SERVERS, [&] { rebalance(*policy, none, streams, load); });
  Servers none_up(std::vector<double>{1.0, 1.0}, {BERTH_SERVER_DRAINING, BERTH_SERVER_READ_ONLY});
  expect_error(BERTH_E_NO_SERVERS, [&] { rebalance(*policy, none_up, streams, load); });
  // No streams: nothing to place, no error.
  Streams empty(0);
  EXPECT_TRUE(rebalance(*policy, none, empty, {}).empty());

  // The placer is built (the snapshot still serves its streams) but cannot place.
  const std::vector<double> server_load{0.0, 0.0};
  auto placer = policy->make_placer(none_up.view(), server_load.data());
  expect_error(BERTH_E_NO_SERVERS, [&] { placer->place(1, 1.0); });
  auto nothing = policy->make_placer(none.view(), nullptr);
  expect_error(BERTH_E_NO_SERVERS, [&] { nothing->place(1, 1.0); });
}

TEST(Dl157Policy, RejectsBadLoadsAndConfiguration) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  Streams streams(2);
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { rebalance(*policy, servers, streams, {1.0, std::nan("")}); });
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { rebalance(*policy, servers, streams, {-1.0, 1.0}); });
  const std::vector<double> bad_server_load{1.0, -2.0};
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { policy->make_placer(servers.view(), bad_server_load.data()); });
  expect_error(BERTH_E_CONFIG, [] { dl157({{"headroom", "0.1", "berth.toml:3"}}); });
}

}  // namespace
}  // namespace berth::policy_test
