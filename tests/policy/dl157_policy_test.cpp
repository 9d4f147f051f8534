// dl157's refresh through the real plugin, against DistributedLog's LeastLoadPlacementPolicy.
// calculate() as its code reads: streams in a TreeSet<StreamLoad> (ascending load, then id), a
// first round handing one stream to each server in set order, then each stream to the first
// server of a TreeSet<ServerLoad> (ascending load, then name), which takes its load and goes back
// in. The expected owners below are traced by hand through those steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <tuple>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

std::shared_ptr<Policy> dl157(std::vector<PluginConfig::Entry> config = {}) {
  return policy_plugin("dl157", std::move(config));
}

void expect_error(int32_t code, const std::function<void()>& call) {
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

std::vector<uint32_t> rebalance_named(const Policy& policy, const Servers& servers, const Streams& streams,
                                      const std::vector<double>& load) {
  berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &servers.view(),
                                  &streams.view(), load.data(), nullptr, nullptr};
  std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
  policy.rebalance(request, owner.data());
  return owner;
}

// U+FF21 (UTF-8 EF BC A1) and U+1F600 (UTF-8 F0 9F 98 80, UTF-16 D83D DE00): by bytes the first
// sorts first; by Java's String.compareTo (UTF-16 units, 0xFF21 > 0xD83D) the second does.
const std::string kFullwidthA = "\xEF\xBC\xA1";
const std::string kGrinning = "\xF0\x9F\x98\x80";

// DL's calculate() with its own structures: ordered sets standing in for the TreeSets, the first
// round over the up servers in set order, then pollFirst / addStream / add. Ids are ASCII here, so
// std::string's order is Java's.
std::vector<uint32_t> dl_calculate(const Servers& servers, const Streams& streams, const std::vector<double>& load) {
  std::set<std::pair<double, std::string>> stream_queue;
  for (uint64_t i = 0; i < streams.count(); ++i) stream_queue.emplace(load[i], std::string(streams.id(i)));
  std::map<std::string, uint64_t> index_of;
  for (uint64_t i = 0; i < streams.count(); ++i) index_of[std::string(streams.id(i))] = i;
  std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
  auto poll_first = [&] {
    auto first = *stream_queue.begin();
    stream_queue.erase(stream_queue.begin());
    return first;
  };
  std::set<std::tuple<double, std::string, uint32_t>> server_loads;  // (load, name, index)
  for (uint32_t j = 0; j < servers.count(); ++j) {
    if (!servers.up(j)) continue;
    double held = 0;
    if (!stream_queue.empty()) {
      auto [stream_load, id] = poll_first();
      owner[index_of[id]] = j;
      held += stream_load;
    }
    char name[32];
    std::snprintf(name, sizeof name, "server-%04u", j);
    server_loads.emplace(held, name, j);
  }
  while (!stream_queue.empty()) {
    auto [held, name, j] = *server_loads.begin();
    server_loads.erase(server_loads.begin());
    auto [stream_load, id] = poll_first();
    owner[index_of[id]] = j;
    server_loads.emplace(held + stream_load, name, j);
  }
  return owner;
}

TEST(Dl157Policy, IsBehaviourVersionTwo) {
  auto policy = dl157();
  EXPECT_EQ(policy->plugin().name, "dl157");
  EXPECT_EQ(policy->behaviour_version(), 2u);
}

// Three servers, five streams a..e of loads 5, 1, 4, 2, 3.
//   TreeSet<StreamLoad>: b(1) d(2) e(3) c(4) a(5).
//   First round, set order: server-0000 <- b (1), server-0001 <- d (2), server-0002 <- e (3).
//   TreeSet<ServerLoad>: (1, 0000) (2, 0001) (3, 0002).
//   pollFirst (1, 0000) <- c: (5, 0000).  Now (2, 0001) (3, 0002) (5, 0000).
//   pollFirst (2, 0001) <- a: (7, 0001).
// Loads 5 | 7 | 3, max 7. Largest first (a, c, e onto the three, then d onto e's server, b onto
// c's) would give 5 | 5 | 5: the smallest-first order is what costs the balance.
TEST(Dl157Policy, DealsTheSmallestStreamFirst) {
  auto policy = dl157();
  Servers servers = Servers::equal(3);
  Streams streams(std::vector<std::string>{"a", "b", "c", "d", "e"});
  const std::vector<double> load{5, 1, 4, 2, 3};
  const auto owner = rebalance(*policy, servers, streams, load);
  EXPECT_EQ(owner, (std::vector<uint32_t>{1, 0, 0, 1, 2}));
  EXPECT_EQ(load_per_server(owner, load, 3), (std::vector<double>{5, 7, 3}));
}

// One heavy stream among light ones, three servers: loads 1 x 9 (s0..s9 but s7) and s7 = 6.
//   TreeSet<StreamLoad>: s0 s1 s2 s3 s4 s5 s6 s8 s9 (load 1, by id), then s7 (6).
//   First round: 0000 <- s0, 0001 <- s1, 0002 <- s2: all at 1.
//   The next six light ones go round by name: 0000 <- s3, 0001 <- s4, 0002 <- s5, 0000 <- s6,
//   0001 <- s8, 0002 <- s9: all at 3.
//   s7: pollFirst (3, 0000): 9.
// Loads 9 | 3 | 3; largest first would give s7 a server of its own: 6 | 5 | 4 at worst.
TEST(Dl157Policy, PutsTheHeaviestStreamLastOnTopOfAFullServer) {
  auto policy = dl157();
  Servers servers = Servers::equal(3);
  Streams streams(10, "s");
  std::vector<double> load(10, 1.0);
  load[7] = 6.0;
  const auto owner = rebalance(*policy, servers, streams, load);
  EXPECT_EQ(owner, (std::vector<uint32_t>{0, 1, 2, 0, 1, 2, 0, 0, 1, 2}));
  EXPECT_EQ(load_per_server(owner, load, 3), (std::vector<double>{9, 3, 3}));
}

// The first round hands out one stream per server without looking at loads. Streams w (1),
// x, y, z (0), three servers:
//   TreeSet<StreamLoad>: x(0) y(0) z(0) w(1).
//   First round: 0000 <- x, 0001 <- y, 0002 <- z, all still at load 0.
//   pollFirst (0, 0000) <- w.
// (Had every stream gone to the least-loaded server from the start, x, y, z and w would all
// have landed on server-0000, which stays at load 0 until w.)
// With fewer streams than servers, the servers late in set order get none: two streams of loads
// 5 and 1 on four servers: 0000 <- the 1, 0001 <- the 5.
TEST(Dl157Policy, FirstRoundGivesOneStreamToEachServerInSetOrder) {
  auto policy = dl157();
  Servers servers = Servers::equal(3);
  Streams streams(std::vector<std::string>{"w", "x", "y", "z"});
  EXPECT_EQ(rebalance(*policy, servers, streams, {1, 0, 0, 0}), (std::vector<uint32_t>{0, 0, 1, 2}));

  Servers four = Servers::equal(4);
  Streams two(std::vector<std::string>{"p", "q"});
  EXPECT_EQ(rebalance(*policy, four, two, {5, 1}), (std::vector<uint32_t>{1, 0}));
}

// Streams of equal load go by id, as the TreeSet<StreamLoad> orders them, not by where they sit
// in the stream set. b, a, c at load 1 on two servers:
//   TreeSet: a b c. First round: 0000 <- a, 0001 <- b. pollFirst (1, 0000) <- c.
TEST(Dl157Policy, BreaksStreamLoadTiesById) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  Streams streams(std::vector<std::string>{"b", "a", "c"});
  EXPECT_EQ(rebalance(*policy, servers, streams, {1, 1, 1}), (std::vector<uint32_t>{1, 0, 0}));
}

// Ids compare as Java strings. Streams "z", U+FF21, U+1F600 at load 1 on two servers:
//   TreeSet (Java order: 'z' 0x7A < 0xD83D < 0xFF21): z, U+1F600, U+FF21.
//   First round: 0000 <- z, 0001 <- U+1F600. pollFirst (1, 0000) <- U+FF21.
// By bytes U+FF21 would have come second, onto server-0001.
TEST(Dl157Policy, OrdersStreamIdsAsJavaStrings) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  Streams streams(std::vector<std::string>{"z", kFullwidthA, kGrinning});
  EXPECT_EQ(rebalance(*policy, servers, streams, {1, 1, 1}), (std::vector<uint32_t>{0, 0, 1}));
}

// Server names compare as Java strings too; the first round still follows set order. Servers
// U+FF21 (index 0, first by bytes) and U+1F600 (index 1); streams s1, s2, s3 at load 1:
//   First round, set order: U+FF21 <- s1, U+1F600 <- s2, both at 1.
//   pollFirst: (1, U+1F600) before (1, U+FF21) in Java's order, so U+1F600 <- s3.
TEST(Dl157Policy, BreaksServerLoadTiesByNameInJavaOrder) {
  auto policy = dl157();
  const Servers servers = Servers::named({kFullwidthA, kGrinning}, {1.0, 1.0});
  Streams streams(std::vector<std::string>{"s1", "s2", "s3"});
  EXPECT_EQ(rebalance_named(*policy, servers, streams, {1, 1, 1}), (std::vector<uint32_t>{0, 1, 1}));

  // The placer breaks the same ties the same way: from loads 0 | 0, U+1F600 first.
  const std::vector<double> empty{0, 0};
  auto placer = policy->make_placer(servers.view(), empty.data());
  EXPECT_EQ(placer->place(1, 1.0), 1u);
  EXPECT_EQ(placer->place(2, 1.0), 0u);
}

// Against dl_calculate on random clusters with ties, zeros and down servers; and DL's own
// test's bound (testCalculateUnequalWeight): the spread of server loads is at most the largest
// stream load.
TEST(Dl157Policy, MatchesDlCalculateOnRandomClusters) {
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
      if (uniform(rng, 0, 9) == 0) l = std::floor(l);  // plenty of ties, and zeros
    Streams streams(n, "s-");
    const auto owner = rebalance(*policy, servers, streams, load);
    ASSERT_EQ(owner, dl_calculate(servers, streams, load)) << "seed " << seed;

    if (n == 0) continue;
    const auto held = load_per_server(owner, load, m);
    double lightest = INFINITY, heaviest = 0;
    for (uint32_t j = 0; j < m; ++j) {
      if (!servers.up(j)) continue;
      lightest = std::min(lightest, held[j]);
      heaviest = std::max(heaviest, held[j]);
    }
    EXPECT_LE(heaviest - lightest, *std::max_element(load.begin(), load.end())) << "seed " << seed;
  }
}

// Equal loads (DL's EqualLoadAppraiser), DL's testCalculateBalances: every server holds
// floor(n/m) or ceil(n/m) streams. From the steps: the first round gives each server one, then
// with all loads equal pollFirst goes round by name, so the first n % m servers hold the ceiling.
TEST(Dl157Policy, EqualLoadsGiveFloorOrCeiling) {
  auto policy = dl157();
  for (const auto& [n, m] : std::vector<std::pair<uint64_t, uint32_t>>{{1000, 7}, {10, 10}, {3, 5}, {1001, 1}}) {
    Servers servers = Servers::equal(m);
    Streams streams(n);
    const auto count = count_per_server(rebalance(*policy, servers, streams, std::vector<double>(n, 1.0)), m);
    for (uint32_t j = 0; j < m; ++j) EXPECT_EQ(count[j], n / m + (j < n % m ? 1 : 0)) << n << " on " << m << ", " << j;
  }
}

// calculate() takes only server names and stream loads: capacities and previous owners change
// nothing, and only up servers (DL's live hosts) take streams.
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

// DL's order depends only on loads and ids: another instance, the same call again, and the
// streams in another order all agree.
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

// refresh() recomputes from nothing: one server joining 20 moves most streams (sticky moves
// about 1/21).
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

// With streams and no server DL's refresh fails (its first pollFirst() on the empty server set
// returns null); with no streams it yields an empty assignment.
TEST(Dl157Policy, FailsWithNoServersWhenStreamsNeedOne) {
  auto policy = dl157();
  Streams streams(3);
  const std::vector<double> load{1.0, 2.0, 3.0};
  Servers none = Servers::equal(0);
  expect_error(BERTH_E_NO_SERVERS, [&] { rebalance(*policy, none, streams, load); });
  Servers none_up(std::vector<double>{1.0, 1.0}, {BERTH_SERVER_DRAINING, BERTH_SERVER_READ_ONLY});
  expect_error(BERTH_E_NO_SERVERS, [&] { rebalance(*policy, none_up, streams, load); });
  Streams empty(0);
  EXPECT_TRUE(rebalance(*policy, none, empty, {}).empty());
}

TEST(Dl157Policy, RejectsBadLoadsAndConfiguration) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  Streams streams(2);
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { rebalance(*policy, servers, streams, {1.0, std::nan("")}); });
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { rebalance(*policy, servers, streams, {-1.0, 1.0}); });
  expect_error(BERTH_E_CONFIG, [] { dl157({{"headroom", "0.1", "berth.toml:3"}}); });
}

}  // namespace
}  // namespace berth::policy_test
