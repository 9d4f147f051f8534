// least_load through the real plugin: a full rebalance at growing sizes (up to the 1M streams x
// 1000 servers budget of 150 ms on one core), building a placer, and place() throughput; and every
// policy that honours placement constraints under 10k classes (BM_ConstrainedRebalance).
//
//   berth_policy_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "common/hash.h"
#include "plugin/host_api.h"
#include "plugin/instances.h"
#include "plugin/loader.h"
#include "policy_inputs.h"
#include "tools/workload.h"

namespace {

// The stream and server sets of one synthetic cluster, laid out the way the host lays them out.
struct Cluster {
  std::string stream_arena, server_arena, tenant_arena = "default";
  std::vector<uint64_t> stream_offsets{0}, server_offsets{0}, tenant_offsets{0, 7};
  std::vector<uint64_t> hash;
  std::vector<uint32_t> tenant;
  std::vector<double> reported, load, capacity;
  std::vector<int32_t> state;
  berth_stream_set streams{};
  berth_server_set servers{};

  Cluster(uint64_t stream_count, uint32_t server_count, berth::LoadDistribution dist) {
    berth::Workload w = berth::make_workload(stream_count, dist, /*seed=*/42);
    for (const std::string& id : w.stream_ids) {
      stream_arena += id;
      stream_offsets.push_back(stream_arena.size());
      hash.push_back(berth::stream_hash(id));
    }
    load = std::move(w.loads);
    tenant.assign(stream_count, 0);
    reported.assign(stream_count, 0.0);
    for (const std::string& id : berth::make_server_ids(server_count)) {
      server_arena += id;
      server_offsets.push_back(server_arena.size());
    }
    capacity.assign(server_count, 1.0);
    state.assign(server_count, BERTH_SERVER_UP);
    streams = {BERTH_SIZE_THROUGH(berth_stream_set, reported_load), stream_count, stream_arena.data(),
               stream_offsets.data(), hash.data(), tenant.data(), 1, tenant_arena.data(), tenant_offsets.data(),
               reported.data()};
    servers = {BERTH_SIZE_THROUGH(berth_server_set, state), server_count, server_arena.data(),
               server_offsets.data(), capacity.data(), state.data()};
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  berth_rebalance_request request() const {
    return {BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &servers, &streams, load.data(), nullptr, nullptr};
  }
};

std::shared_ptr<berth::Policy> least_load() {
  berth::PluginRegistry registry;
  return std::make_shared<berth::Policy>(registry.load(BERTH_PLUGIN_POLICY, "least_load"), berth::PluginConfig());
}

// Args: streams, servers, distribution (0 equal, 1 lognormal, 2 zipf).
void BM_LeastLoadRebalance(benchmark::State& state) {
  const auto dist = static_cast<berth::LoadDistribution>(state.range(2));
  Cluster cluster(static_cast<uint64_t>(state.range(0)), static_cast<uint32_t>(state.range(1)), dist);
  auto policy = least_load();
  const berth_rebalance_request request = cluster.request();
  std::vector<uint32_t> owner(cluster.load.size());
  for (auto _ : state) {
    policy->rebalance(request, owner.data());
    benchmark::DoNotOptimize(owner.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel(berth::distribution_name(dist));
}
BENCHMARK(BM_LeastLoadRebalance)
    ->Args({10'000, 10, 1})
    ->Args({100'000, 100, 1})
    ->Args({1'000'000, 1000, 0})
    ->Args({1'000'000, 1000, 1})
    ->Args({1'000'000, 1000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The server loads a snapshot would carry after a lognormal rebalance.
std::vector<double> rebalanced_server_load(const berth::Policy& policy, const Cluster& cluster) {
  std::vector<uint32_t> owner(cluster.load.size());
  policy.rebalance(cluster.request(), owner.data());
  std::vector<double> server_load(cluster.servers.count, 0.0);
  for (size_t i = 0; i < owner.size(); ++i) server_load[owner[i]] += cluster.load[i];
  return server_load;
}

// Args: servers (100 lognormal streams per server).
void BM_LeastLoadMakePlacer(benchmark::State& state) {
  const auto servers = static_cast<uint32_t>(state.range(0));
  Cluster cluster(uint64_t{100} * servers, servers, berth::LoadDistribution::lognormal);
  auto policy = least_load();
  const std::vector<double> server_load = rebalanced_server_load(*policy, cluster);
  for (auto _ : state) benchmark::DoNotOptimize(policy->make_placer(cluster.servers, server_load.data()));
}
BENCHMARK(BM_LeastLoadMakePlacer)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Args: servers. One place() per iteration through the C++ handle (ABI thunk + binary search), fresh hash each time.
void BM_LeastLoadPlace(benchmark::State& state) {
  const auto servers = static_cast<uint32_t>(state.range(0));
  Cluster cluster(uint64_t{100} * servers, servers, berth::LoadDistribution::lognormal);
  auto policy = least_load();
  const std::vector<double> server_load = rebalanced_server_load(*policy, cluster);
  auto placer = policy->make_placer(cluster.servers, server_load.data());
  std::vector<uint64_t> hashes(1 << 16);
  for (size_t k = 0; k < hashes.size(); ++k) hashes[k] = berth::stream_hash("new-stream-" + std::to_string(k));
  size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(placer->place(hashes[k], 1.0));
    k = (k + 1) & (hashes.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeastLoadPlace)->Arg(10)->Arg(1000);

// Args: servers. The same through the plugin's C function table, without the core's handle: what
// the plugin itself costs per place().
void BM_LeastLoadPlaceThroughTheAbi(benchmark::State& state) {
  const auto servers = static_cast<uint32_t>(state.range(0));
  Cluster cluster(uint64_t{100} * servers, servers, berth::LoadDistribution::lognormal);
  auto policy = least_load();
  const std::vector<double> server_load = rebalanced_server_load(*policy, cluster);
  const berth::LoadedPlugin& plugin = policy->plugin();
  const berth::PluginConfig config;
  berth_status status;
  void* self = nullptr;
  void* placer = nullptr;
  if (plugin.policy.create(&plugin.host, config.view(), &self, &status) != BERTH_OK ||
      plugin.policy.placer_create(self, &cluster.servers, server_load.data(), &placer, &status) != BERTH_OK) {
    state.SkipWithError(status.message.c_str());
    return;
  }
  std::vector<uint64_t> hashes(1 << 16);
  for (size_t k = 0; k < hashes.size(); ++k) hashes[k] = berth::stream_hash("new-stream-" + std::to_string(k));
  size_t k = 0;
  uint32_t server = 0;
  for (auto _ : state) {
    plugin.policy.place(placer, hashes[k], 1.0, &server, &status);
    benchmark::DoNotOptimize(server);
    k = (k + 1) & (hashes.size() - 1);
  }
  plugin.policy.placer_destroy(placer);
  plugin.policy.destroy(self);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeastLoadPlaceThroughTheAbi)->Arg(10)->Arg(1000);

}  // namespace

// Every policy that honours placement constraints, at 1M streams x 1000 servers x 10k classes
// (each allowing 100 servers and preferring 2), from scratch and in steady state (the previous
// assignment is the result itself). Compare with the unconstrained figures above and in
// berth_sticky_bench / berth_weighted_hash_bench.
constexpr const char* kConstrainedPolicies[] = {"least_load", "sticky", "weighted", "hash"};

struct ConstrainedCluster {
  berth::bench::Streams streams{1'000'000};
  berth::bench::Servers servers{1000};
  berth::bench::Constraints constraints{streams, 1000, 10'000, 100, 2};
};

ConstrainedCluster& constrained_cluster() {
  static ConstrainedCluster c;
  return c;
}

void BM_ConstrainedRebalance(benchmark::State& state) {
  ConstrainedCluster& c = constrained_cluster();
  berth::PluginRegistry registry;
  const char* name = kConstrainedPolicies[state.range(0)];
  berth::Policy policy(registry.load(BERTH_PLUGIN_POLICY, name), berth::PluginConfig("policy", {}));
  std::vector<uint32_t> placed(c.streams.load.size()), owner(c.streams.load.size());
  const bool steady = state.range(1) == 1;
  berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &c.servers.view,
                                  &c.streams.view, c.streams.load.data(), nullptr, &c.constraints.view};
  if (steady) {
    policy.rebalance(request, placed.data());
    request.previous_owner = placed.data();
  }
  for (auto _ : state) {
    policy.rebalance(request, owner.data());
    benchmark::DoNotOptimize(owner.data());
  }
  state.SetLabel(std::string(name) + (steady ? " steady state" : " from scratch"));
}
BENCHMARK(BM_ConstrainedRebalance)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
