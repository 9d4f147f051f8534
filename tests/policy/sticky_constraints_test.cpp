// sticky under placement constraints (ABI 1.1), beyond what every policy promises
// (constraints_test.cpp): changing one class's rules moves that class's streams and no others,
// and a stream on a server its class no longer allows moves even with no move budget left.
#include <gtest/gtest.h>

#include <random>

#include "constraints_fixture.h"

namespace berth::policy_test {
namespace {

std::vector<uint32_t> range(uint32_t first, uint32_t last) {  // [first, last)
  std::vector<uint32_t> out;
  for (uint32_t j = first; j < last; ++j) out.push_back(j);
  return out;
}

// 20 servers; four classes (stream i is in class i % 5, class 4 meaning none), each allowing ten
// servers: 0..9, 5..14, 10..19, and the even ones.
struct ClassedCluster {
  Servers servers = Servers::equal(20);
  Streams streams{4000};
  std::vector<double> load;
  std::vector<uint32_t> class_of;
  std::vector<ClassServers> classes{{range(0, 10), {}}, {range(5, 15), {7}}, {range(10, 20), {}}, {{}, {}}};

  ClassedCluster() {
    std::mt19937_64 rng(31);
    load = random_loads(rng, streams.count());
    for (uint32_t j = 0; j < 20; j += 2) classes[3].allowed.push_back(j);
    for (uint64_t i = 0; i < streams.count(); ++i) class_of.push_back(i % 5 == 4 ? BERTH_NO_CLASS : static_cast<uint32_t>(i % 5));
  }
};

// The streams a rebalance moved, by index.
std::vector<uint64_t> moved(const std::vector<uint32_t>& previous, const std::vector<uint32_t>& owner) {
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < owner.size(); ++i)
    if (owner[i] != previous[i]) out.push_back(i);
  return out;
}

// The streams of class c whose owner `classes[c]` does not allow.
std::vector<uint64_t> outside(const ClassedCluster& cluster, const std::vector<ClassServers>& classes, uint32_t c,
                              const std::vector<uint32_t>& owner) {
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < owner.size(); ++i) {
    if (cluster.class_of[i] != c) continue;
    const auto& allowed = classes[c].allowed;
    if (!std::binary_search(allowed.begin(), allowed.end(), owner[i])) out.push_back(i);
  }
  return out;
}

TEST(StickyConstraints, ChangingOneClassMovesExactlyTheStreamsItNoLongerAllows) {
  ClassedCluster cluster;
  // No move budget at all: nothing moves to rebalance, so what moves is only what has to.
  auto policy = sticky({{"max_moves", "0", ""}});
  Constraints before(cluster.class_of, cluster.classes);
  const std::vector<uint32_t> placed =
      rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, {}, &before.view());
  ASSERT_TRUE(moved(placed, rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, placed,
                                           &before.view()))
                  .empty());

  // Class 2 now allows servers 14..19 (it allowed 10..19): its streams on 10..13 must move.
  std::vector<ClassServers> changed = cluster.classes;
  changed[2].allowed = range(14, 20);
  Constraints after(cluster.class_of, changed);
  const std::vector<uint32_t> owner =
      rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, placed, &after.view());
  const std::vector<uint64_t> must_move = outside(cluster, changed, 2, placed);
  ASSERT_FALSE(must_move.empty());
  EXPECT_EQ(moved(placed, owner), must_move);
  EXPECT_TRUE(outside(cluster, changed, 2, owner).empty());
}

TEST(StickyConstraints, ChangingOneClassWithABudgetMovesOnlyThatClassWhileInsideTheBand) {
  ClassedCluster cluster;
  // Class 2 is a small class here (one stream in 50), and the band is wide: moving its streams
  // shifts the servers' loads, but not outside the band, so balancing has no reason to move others.
  for (uint64_t i = 0; i < cluster.class_of.size(); ++i)
    if (cluster.class_of[i] == 2 && i % 50 != 2) cluster.class_of[i] = BERTH_NO_CLASS;
  auto policy = sticky({{"band", "0.5", ""}});
  Constraints before(cluster.class_of, cluster.classes);
  // Refresh until nothing moves: the steady state the rules change arrives in.
  std::vector<uint32_t> placed = rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, {}, &before.view());
  for (int refresh = 0; refresh < 10; ++refresh) {
    std::vector<uint32_t> next =
        rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, placed, &before.view());
    if (next == placed) break;
    placed = std::move(next);
  }
  ASSERT_EQ(rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, placed, &before.view()), placed);
  std::vector<ClassServers> changed = cluster.classes;
  changed[2].allowed = range(12, 20);  // loses 10 and 11
  Constraints after(cluster.class_of, changed);
  const std::vector<uint32_t> owner =
      rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, placed, &after.view());
  ASSERT_FALSE(outside(cluster, changed, 2, placed).empty());
  EXPECT_EQ(moved(placed, owner), outside(cluster, changed, 2, placed));
}

TEST(StickyConstraints, RebalancingMovesStreamsOnlyToServersTheirClassAllows) {
  ClassedCluster cluster;
  auto policy = sticky();
  Constraints constraints(cluster.class_of, cluster.classes);
  std::vector<uint32_t> owner =
      rebalance_with(*policy, cluster.servers, cluster.streams, cluster.load, {}, &constraints.view());
  // Drift every load, then a server joins: the balancer moves streams, and each may only go
  // where its class allows (server 20 is allowed by no class).
  std::mt19937_64 rng(8);
  std::vector<double> drifted = cluster.load;
  for (double& l : drifted) l *= std::uniform_real_distribution<double>(0.7, 1.3)(rng);
  Servers joined = Servers::equal(21);
  const std::vector<uint32_t> after = rebalance_with(*policy, joined, cluster.streams, drifted, owner, &constraints.view());
  ASSERT_FALSE(moved(owner, after).empty());
  for (uint32_t c = 0; c < 4; ++c) EXPECT_TRUE(outside(cluster, cluster.classes, c, after).empty()) << "class " << c;
}

}  // namespace
}  // namespace berth::policy_test
