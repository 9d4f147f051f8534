// dl157's placer through the real plugin, against DistributedLog's placeStreamSynchronized() as
// its code reads: take the first server of the TreeSet<ServerLoad> (ascending load, then name),
// add the new stream's load to it, put it back. The expected servers below are traced by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "common/error.h"
#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

std::shared_ptr<Policy> dl157() { return policy_plugin("dl157"); }

void expect_error(int32_t code, const std::function<void()>& call) {
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

// `count` new streams of load `load`, placed one after another: the server of each.
std::vector<uint32_t> place_each(const Placer& placer, uint32_t count, double load = 1.0) {
  std::vector<uint32_t> where;
  for (uint32_t k = 0; k < count; ++k) where.push_back(placer.place(stream_hash("new-" + std::to_string(k)), load));
  return where;
}

// Servers 1..4 up at loads 3, 1, 2, 3; server 0 draining at load 0; server 2 with four times the
// capacity. Seven new streams of load 1:
//   TreeSet<ServerLoad>: (1, s2) (2, s3) (3, s1) (3, s4).
//   s2 -> 2; (2, s2) before (2, s3) by name: s2 -> 3; s3 -> 3;
//   then all at 3, by name: s1 -> 4, s2 -> 4, s3 -> 4, s4 -> 4.
// The draining server is never taken, and the capacity plays no part.
TEST(Dl157Placer, ABurstSpreadsAsEachPlacementAddsItsLoad) {
  auto policy = dl157();
  Servers servers(std::vector<double>{1.0, 1.0, 4.0, 1.0, 1.0},
                  {BERTH_SERVER_DRAINING, BERTH_SERVER_UP, BERTH_SERVER_UP, BERTH_SERVER_UP, BERTH_SERVER_UP});
  const std::vector<double> load{0.0, 3.0, 1.0, 2.0, 3.0};
  auto placer = policy->make_placer(servers.view(), load.data());
  EXPECT_EQ(place_each(*placer, 7), (std::vector<uint32_t>{2, 2, 3, 1, 2, 3, 4}));
}

// Each new stream adds its own load. Two servers at 0 | 0, streams of loads 5, 1, 1, 3, 0:
//   5: tie at 0, s0 by name -> 5 | 0.   1: s1 -> 5 | 1.   1: s1 -> 5 | 2.
//   3: s1 -> 5 | 5.                     0: tie at 5, s0 -> 5 | 5.
TEST(Dl157Placer, AddsEachNewStreamsOwnLoad) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  const std::vector<double> load{0.0, 0.0};
  auto placer = policy->make_placer(servers.view(), load.data());
  std::vector<uint32_t> where;
  for (double stream_load : {5.0, 1.0, 1.0, 3.0, 0.0}) where.push_back(placer->place(7, stream_load));
  EXPECT_EQ(where, (std::vector<uint32_t>{0, 1, 1, 1, 0}));
}

// DL records a new stream's owner only at the next refresh, so asking for the same stream again
// places it again: 0 | 0, the same stream twice: s0 -> 1 | 0, then s1.
TEST(Dl157Placer, PlacesTheSameNewStreamAgainWhenAskedAgain) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  const std::vector<double> load{0.0, 0.0};
  auto placer = policy->make_placer(servers.view(), load.data());
  const uint64_t h = stream_hash("asked-twice");
  EXPECT_EQ(placer->place(h, 1.0), 0u);
  EXPECT_EQ(placer->place(h, 1.0), 1u);
}

// The host passes NaN for a stream it has not appraised; it counts as 1, EqualLoadAppraiser's
// load. From 0 | 1.5: s0 -> 1; s0 -> 2; s1 -> 2.5; s0 -> 3. (Counted as 0, all four would have
// gone to s0.)
TEST(Dl157Placer, CountsAnUnappraisedStreamAsLoadOne) {
  auto policy = dl157();
  Servers servers = Servers::equal(2);
  const std::vector<double> load{0.0, 1.5};
  auto placer = policy->make_placer(servers.view(), load.data());
  EXPECT_EQ(place_each(*placer, 4, std::nan("")), (std::vector<uint32_t>{0, 0, 1, 0}));
}

// After a refresh the first new stream goes to the first server of the refreshed set (DL's
// testRefreshAndPlaceStream), and the burst carries on from the refreshed loads. Streams a..e of
// loads 5, 1, 4, 2, 3 on three servers refresh to 5 | 7 | 3 (traced in dl157_policy_test). Then:
//   (3, s2) (5, s0) (7, s1): s2 -> 4; s2 -> 5; tie at 5, s0 -> 6; s2 -> 6; tie at 6, s0 -> 7.
TEST(Dl157Placer, StartsFromTheRefreshedLoads) {
  auto policy = dl157();
  Servers servers = Servers::equal(3);
  Streams streams(std::vector<std::string>{"a", "b", "c", "d", "e"});
  const std::vector<double> load{5, 1, 4, 2, 3};
  const auto held = load_per_server(rebalance(*policy, servers, streams, load), load, 3);
  ASSERT_EQ(held, (std::vector<double>{5, 7, 3}));
  auto placer = policy->make_placer(servers.view(), held.data());
  EXPECT_EQ(place_each(*placer, 5), (std::vector<uint32_t>{2, 2, 0, 2, 0}));
}

// Every DL node kept its own server loads, so nodes answer by what they were asked before: two
// placers from one snapshot at 0 | 0 | 0; the first places two streams (s0, s1), the second's
// first answer is still s0, where the first would now answer s2.
TEST(Dl157Placer, EachPlacerKeepsItsOwnLoads) {
  auto policy = dl157();
  Servers servers = Servers::equal(3);
  const std::vector<double> load{0.0, 0.0, 0.0};
  auto one = policy->make_placer(servers.view(), load.data());
  auto other = policy->make_placer(servers.view(), load.data());
  EXPECT_EQ(place_each(*one, 2), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(other->place(1, 1.0), 0u);
  EXPECT_EQ(one->place(1, 1.0), 2u);
}

// Against placeStreamSynchronized() with an ordered set for the TreeSet, on random clusters:
// loads with ties, down servers, stream loads with zeros and NaNs (counted as 1).
TEST(Dl157Placer, MatchesDlPlaceStreamOnRandomClusters) {
  auto policy = dl157();
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::mt19937_64 rng(seed);
    const uint32_t m = uniform(rng, 1, 20);
    std::vector<int32_t> state(m, BERTH_SERVER_UP);
    for (int32_t& s : state)
      if (uniform(rng, 0, 4) == 0) s = static_cast<int32_t>(uniform(rng, 1, 2));
    state[uniform(rng, 0, m - 1)] = BERTH_SERVER_UP;
    Servers servers(std::vector<double>(m, 1.0), state);
    std::vector<double> server_load(m);
    for (double& l : server_load) l = static_cast<double>(uniform(rng, 0, 5));

    std::set<std::tuple<double, std::string, uint32_t>> server_loads;  // (load, name, index)
    for (uint32_t j = 0; j < m; ++j) {
      if (!servers.up(j)) continue;
      char name[32];
      std::snprintf(name, sizeof name, "server-%04u", j);
      server_loads.emplace(server_load[j], name, j);
    }
    auto placer = policy->make_placer(servers.view(), server_load.data());
    for (uint32_t k = 0; k < 500; ++k) {
      const uint32_t pick = uniform(rng, 0, 9);
      const double load = pick == 0 ? std::nan("") : pick == 1 ? 0.0 : static_cast<double>(uniform(rng, 1, 4));
      auto [held, name, j] = *server_loads.begin();
      server_loads.erase(server_loads.begin());
      server_loads.emplace(held + (std::isnan(load) ? 1.0 : load), name, j);
      ASSERT_EQ(placer->place(k, load), j) << "seed " << seed << ", stream " << k;
    }
  }
}

// Calls from many threads are serialised, as DL's synchronized method is: 10,000 streams of
// load 1 onto ten servers at 0 leave each exactly 1,000 (every call adds 1 to a lightest server).
TEST(Dl157Placer, SerialisesConcurrentCalls) {
  auto policy = dl157();
  Servers servers = Servers::equal(10);
  const std::vector<double> load(10, 0.0);
  auto placer = policy->make_placer(servers.view(), load.data());
  std::vector<std::vector<uint64_t>> landed(4, std::vector<uint64_t>(10, 0));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < landed.size(); ++t)
    threads.emplace_back([&, t] {
      for (uint64_t k = 0; k < 2500; ++k) ++landed[t][placer->place(k, 1.0)];
    });
  for (std::thread& t : threads) t.join();
  for (uint32_t j = 0; j < 10; ++j) {
    uint64_t total = 0;
    for (const auto& counts : landed) total += counts[j];
    EXPECT_EQ(total, 1000u) << "server " << j;
  }
}

// placeStreamSynchronized() on an empty server set fails (pollFirst() is null): the placer is
// built, as the snapshot still serves its streams, and cannot place.
TEST(Dl157Placer, FailsWithNoUpServerAndRejectsBadLoads) {
  auto policy = dl157();
  Servers none_up(std::vector<double>{1.0, 1.0}, {BERTH_SERVER_DRAINING, BERTH_SERVER_READ_ONLY});
  const std::vector<double> zero{0.0, 0.0};
  auto placer = policy->make_placer(none_up.view(), zero.data());
  expect_error(BERTH_E_NO_SERVERS, [&] { placer->place(1, 1.0); });
  Servers none = Servers::equal(0);
  auto nothing = policy->make_placer(none.view(), nullptr);
  expect_error(BERTH_E_NO_SERVERS, [&] { nothing->place(1, 1.0); });

  Servers two = Servers::equal(2);
  const std::vector<double> bad_server_load{1.0, -2.0};
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { policy->make_placer(two.view(), bad_server_load.data()); });
  auto fine = policy->make_placer(two.view(), zero.data());
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { fine->place(1, -1.0); });
  expect_error(BERTH_E_INVALID_ARGUMENT, [&] { fine->place(1, INFINITY); });
}

}  // namespace
}  // namespace berth::policy_test
