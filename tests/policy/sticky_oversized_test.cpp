// sticky and a stream larger than the top of the band: its server cannot be balanced, but the
// other streams it carries must not stay there for ever (the defect behind max/LB 1.53 and 6.09
// under `berth simulate --dist zipf`). They move to the balanced servers, within the budget, and
// the result is stable.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "placement_fixture.h"

namespace berth::policy_test {
namespace {

// Four equal servers. Stream 0 (load 100) is larger than the fair share (75) on its own; server 0
// carries it plus 50 streams of load 1, and servers 1..3 carry 50 such streams each.
struct OversizedCluster {
  static constexpr uint32_t kServers = 4;
  static constexpr uint32_t kPerServer = 50;
  static constexpr double kBig = 100.0;
  Servers servers = Servers::equal(kServers);
  Streams streams{1 + kServers * kPerServer};
  std::vector<double> load;
  std::vector<uint32_t> previous;

  OversizedCluster() {
    load.assign(streams.count(), 1.0);
    load[0] = kBig;
    previous.push_back(0);
    for (uint32_t j = 0; j < kServers; ++j)
      for (uint32_t k = 0; k < kPerServer; ++k) previous.push_back(j);
  }
};

TEST(StickyOversized, OtherStreamsLeaveTheServerOfAnOversizedStream) {
  OversizedCluster cluster;
  constexpr double kBand = 0.02;  // the default
  auto policy = sticky();
  const std::vector<uint32_t> owner =
      rebalance(*policy, cluster.servers, cluster.streams, cluster.load, cluster.previous);
  EXPECT_EQ(owner[0], 0u) << "the oversized stream stays where it is";
  const auto per_server = load_per_server(owner, cluster.load, cluster.servers.count());
  // The balanced servers' level once they hold everything but the oversized stream.
  const double total = std::accumulate(cluster.load.begin(), cluster.load.end(), 0.0);
  const double level = (total - OversizedCluster::kBig) / (OversizedCluster::kServers - 1);
  EXPECT_LE(per_server[0] - OversizedCluster::kBig, kBand * level)
      << "server 0 keeps more than a band's worth beside its oversized stream";
  // So the busiest server is the oversized stream's (max/LB = 1 but for that band's worth).
  const double busiest = *std::max_element(per_server.begin(), per_server.end());
  EXPECT_LE(busiest, OversizedCluster::kBig * (1 + kBand));
  for (uint32_t j = 1; j < OversizedCluster::kServers; ++j) {
    EXPECT_LE(per_server[j], level * (1 + kBand)) << "server " << j;
    EXPECT_GE(per_server[j], level * (1 - kBand)) << "server " << j;
  }
  // Stable: the next refresh with the same input moves nothing.
  EXPECT_EQ(rebalance(*policy, cluster.servers, cluster.streams, cluster.load, owner), owner);
}

TEST(StickyOversized, SheddingSpendsTheMoveBudget) {
  OversizedCluster cluster;
  auto policy = sticky({{"max_moves", "10", ""}});
  const std::vector<uint32_t> owner =
      rebalance(*policy, cluster.servers, cluster.streams, cluster.load, cluster.previous);
  uint64_t moved = 0;
  for (size_t i = 0; i < owner.size(); ++i) moved += owner[i] != cluster.previous[i] ? 1 : 0;
  EXPECT_EQ(moved, 10u);
  for (size_t i = 0; i < owner.size(); ++i) {
    if (owner[i] == cluster.previous[i]) continue;
    EXPECT_EQ(cluster.previous[i], 0u) << "stream " << i << " moved";
  }
}

}  // namespace
}  // namespace berth::policy_test
