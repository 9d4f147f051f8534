// weighted and hash through the real plugins at the size (1M lognormal streams x 1000
// servers, one core). Counters:
//   hash      max_over_mean     highest load per unit of capacity / mean     floor: <= capacity factor (1.25)
//             exceptions        fraction of streams not on their first hash choice
//             state_bytes       bytes per stream to store the exceptions (8 bytes each) floor: <= 2
//             join_share        streams moved on a join / (N / (M + 1))        floor: <= 1.5
//             leave_ratio       (its streams + others moved) / its streams
//             drift_moved       fraction of streams moved by a +-10% drift of every load
//   weighted  share_error_pp    worst |share - weight / sum| in percentage points, random weights 1..4
//             join_share        with rebalance = true: streams moved on a join / (N / (M + 1))
//             moved_streams     with rebalance = false (the default): streams moved in steady state
//   *Place    the time of one place() for a new stream.
//   HashDefaultOwners  a reader's rebuild of the owners a hash snapshot leaves implicit (1M streams).
//
//   berth_weighted_hash_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/hash.h"
#include "plugin/instances.h"
#include "plugin/loader.h"
#include "policy_inputs.h"
#include "tools/workload.h"

namespace {

constexpr uint64_t kStreams = 1'000'000;
constexpr uint32_t kServers = 1000;

using berth::bench::Servers;
using berth::bench::Streams;

std::shared_ptr<berth::Policy> policy(const char* name, std::vector<berth::PluginConfig::Entry> config = {}) {
  berth::PluginRegistry registry;
  return std::make_shared<berth::Policy>(registry.load(BERTH_PLUGIN_POLICY, name),
                                         berth::PluginConfig("policy", std::move(config)));
}

void refresh(const berth::Policy& p, const Servers& servers, const Streams& streams, const std::vector<double>& load,
             const std::vector<uint32_t>* previous, std::vector<uint32_t>& owner) {
  const berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, constraints), &servers.view,
                                        &streams.view, load.data(), previous != nullptr ? previous->data() : nullptr, nullptr};
  owner.resize(load.size());
  p.rebalance(request, owner.data());
  benchmark::DoNotOptimize(owner.data());
}

uint64_t moved(const std::vector<uint32_t>& previous, const std::vector<uint32_t>& owner) {
  uint64_t count = 0;
  for (size_t i = 0; i < owner.size(); ++i) count += previous[i] != BERTH_NO_SERVER && owner[i] != previous[i];
  return count;
}

double max_over_mean(const Servers& servers, const std::vector<uint32_t>& owner, const std::vector<double>& load) {
  std::vector<double> per_server(servers.capacity.size(), 0.0);
  for (size_t i = 0; i < owner.size(); ++i) per_server[owner[i]] += load[i];
  const double total = std::accumulate(load.begin(), load.end(), 0.0);
  const double capacity = std::accumulate(servers.capacity.begin(), servers.capacity.end(), 0.0);
  double most = 0;
  for (size_t j = 0; j < per_server.size(); ++j) most = std::max(most, per_server[j] / servers.capacity[j]);
  return most / (total / capacity);
}

// ------------------------------------------------------------------------------------ hash --

struct HashBaseline {
  Streams streams{kStreams};
  Servers servers{kServers};
  std::shared_ptr<berth::Policy> hash = policy("hash");
  std::vector<uint32_t> owner, first;
  HashBaseline() {
    refresh(*hash, servers, streams, streams.load, nullptr, owner);
    auto placer = hash->make_placer(servers.view, std::vector<double>(kServers, 0.0).data());
    first.resize(kStreams);
    for (uint64_t i = 0; i < kStreams; ++i) first[i] = placer->place(streams.hash[i], 1.0);
  }
};

HashBaseline& hash_baseline() {
  static HashBaseline b;
  return b;
}

void BM_HashFullRefresh(benchmark::State& state) {
  HashBaseline& b = hash_baseline();
  std::vector<uint32_t> owner(kStreams);
  for (auto _ : state) refresh(*b.hash, b.servers, b.streams, b.streams.load, &b.owner, owner);
  uint64_t off = 0;
  for (uint64_t i = 0; i < kStreams; ++i) off += owner[i] != b.first[i] ? 1 : 0;
  const double fraction = static_cast<double>(off) / kStreams;
  state.counters["max_over_mean"] = max_over_mean(b.servers, owner, b.streams.load);
  state.counters["exceptions"] = fraction;
  state.counters["state_bytes"] = 8 * fraction;
  state.counters["moved_streams"] = static_cast<double>(moved(b.owner, owner));
}

// What a reader pays to rebuild the owners a hash snapshot leaves implicit: every stream's first
// choice (ABI 1.2 default_owners). The policy keeps the ring of the last server list, so this is
// the steady state; a new server list costs one ring build more (~10 ms at 1000 servers).
// Checked against the first choices above.
void BM_HashDefaultOwners(benchmark::State& state) {
  HashBaseline& b = hash_baseline();
  std::vector<uint32_t> defaults(kStreams);
  for (auto _ : state) {
    b.hash->default_owners(b.servers.view, kStreams, b.streams.hash.data(), defaults.data());
    benchmark::DoNotOptimize(defaults.data());
  }
  if (defaults != b.first) state.SkipWithError("default owners differ from the placer's first choices");
}

void BM_HashAfterJoin(benchmark::State& state) {
  HashBaseline& b = hash_baseline();
  Servers joined(kServers + 1);  // "server-1000" sorts last: the old indices stay
  std::vector<uint32_t> owner(kStreams);
  for (auto _ : state) refresh(*b.hash, joined, b.streams, b.streams.load, &b.owner, owner);
  const uint64_t m = moved(b.owner, owner);
  state.counters["max_over_mean"] = max_over_mean(joined, owner, b.streams.load);
  state.counters["moved_streams"] = static_cast<double>(m);
  state.counters["join_share"] = static_cast<double>(m) / (static_cast<double>(kStreams) / (kServers + 1));
}

void BM_HashAfterLeave(benchmark::State& state) {
  HashBaseline& b = hash_baseline();
  constexpr uint32_t kLeaving = 500;
  std::vector<uint32_t> previous(b.owner);
  uint64_t its_streams = 0;
  for (uint32_t& p : previous) {
    if (p == kLeaving) {
      p = BERTH_NO_SERVER;
      ++its_streams;
    } else if (p > kLeaving) {
      --p;
    }
  }
  // The same ids without server-0500, so the remaining servers keep their ids.
  std::vector<std::string> ids = berth::make_server_ids(kServers);
  ids.erase(ids.begin() + kLeaving);
  Servers left(kServers - 1);
  left.arena.clear();
  left.offsets.assign(1, 0);
  for (const std::string& id : ids) {
    left.arena += id;
    left.offsets.push_back(left.arena.size());
  }
  left.view.id_arena = left.arena.data();
  left.view.id_offsets = left.offsets.data();
  std::vector<uint32_t> owner(kStreams);
  for (auto _ : state) refresh(*b.hash, left, b.streams, b.streams.load, &previous, owner);
  const uint64_t m = moved(previous, owner);
  state.counters["max_over_mean"] = max_over_mean(left, owner, b.streams.load);
  state.counters["moved_streams"] = static_cast<double>(its_streams + m);
  state.counters["leave_ratio"] = static_cast<double>(its_streams + m) / static_cast<double>(its_streams);
}

void BM_HashAfterDrift(benchmark::State& state) {
  HashBaseline& b = hash_baseline();
  std::vector<double> load = b.streams.load;
  berth::drift_loads(load, 0.10, /*seed=*/7);
  std::vector<uint32_t> owner(kStreams);
  for (auto _ : state) refresh(*b.hash, b.servers, b.streams, load, &b.owner, owner);
  state.counters["max_over_mean"] = max_over_mean(b.servers, owner, load);
  state.counters["drift_moved"] = static_cast<double>(moved(b.owner, owner)) / kStreams;
}

void BM_HashPlace(benchmark::State& state) {
  HashBaseline& b = hash_baseline();
  std::vector<double> server_load(kServers, 0.0);
  for (uint64_t i = 0; i < kStreams; ++i) server_load[b.owner[i]] += b.streams.load[i];
  auto placer = b.hash->make_placer(b.servers.view, server_load.data());
  uint64_t k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(placer->place(b.streams.hash[k++ % kStreams] ^ 0x5bd1e995, 1.0));
}

// -------------------------------------------------------------------------------- weighted --

std::vector<double> random_weights(uint32_t count) {
  std::mt19937_64 rng(9);
  std::vector<double> weight(count);
  for (double& w : weight) w = std::uniform_int_distribution<int>(1, 4)(rng);
  return weight;
}

struct WeightedBaseline {
  Streams streams{kStreams};
  Servers servers{kServers, random_weights(kServers)};
  std::shared_ptr<berth::Policy> sticky = policy("weighted");
  std::shared_ptr<berth::Policy> full = policy("weighted", {{"rebalance", "true", ""}});
  std::vector<uint32_t> owner;
  WeightedBaseline() { refresh(*sticky, servers, streams, streams.load, nullptr, owner); }
};

WeightedBaseline& weighted_baseline() {
  static WeightedBaseline b;
  return b;
}

// Every stream without an owner: 1M rendezvous choices among 1000 servers.
void BM_WeightedFirstPlacement(benchmark::State& state) {
  WeightedBaseline& b = weighted_baseline();
  std::vector<uint32_t> owner(kStreams);
  for (auto _ : state) refresh(*b.sticky, b.servers, b.streams, b.streams.load, nullptr, owner);
  std::vector<double> count(kServers, 0.0);
  for (uint32_t o : owner) count[o] += 1;
  const double sum = std::accumulate(b.servers.capacity.begin(), b.servers.capacity.end(), 0.0);
  double worst = 0;
  for (uint32_t j = 0; j < kServers; ++j)
    worst = std::max(worst, std::abs(count[j] / kStreams - b.servers.capacity[j] / sum));
  state.counters["share_error_pp"] = 100 * worst;
}

void BM_WeightedSteadyState(benchmark::State& state) {
  WeightedBaseline& b = weighted_baseline();
  std::vector<uint32_t> owner(kStreams);
  for (auto _ : state) refresh(*b.sticky, b.servers, b.streams, b.streams.load, &b.owner, owner);
  state.counters["moved_streams"] = static_cast<double>(moved(b.owner, owner));
}

// With rebalance = true: every stream's rendezvous choice among 1001 servers.
void BM_WeightedRebalanceAfterJoin(benchmark::State& state) {
  WeightedBaseline& b = weighted_baseline();
  std::vector<double> capacity = b.servers.capacity;
  capacity.push_back(2.0);
  Servers joined(kServers + 1, capacity);
  std::vector<uint32_t> owner(kStreams);
  for (auto _ : state) refresh(*b.full, joined, b.streams, b.streams.load, &b.owner, owner);
  const uint64_t m = moved(b.owner, owner);
  const double sum = std::accumulate(capacity.begin(), capacity.end(), 0.0);
  state.counters["moved_streams"] = static_cast<double>(m);
  state.counters["join_share"] = static_cast<double>(m) / (kStreams * 2.0 / sum);  // vs its weight's share
}

void BM_WeightedPlace(benchmark::State& state) {
  WeightedBaseline& b = weighted_baseline();
  auto placer = b.sticky->make_placer(b.servers.view, std::vector<double>(kServers, 0.0).data());
  uint64_t k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(placer->place(b.streams.hash[k++ % kStreams] ^ 0x5bd1e995, 1.0));
}

BENCHMARK(BM_HashFullRefresh)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashAfterJoin)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashAfterLeave)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashAfterDrift)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashPlace);
BENCHMARK(BM_HashDefaultOwners)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WeightedFirstPlacement)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WeightedSteadyState)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WeightedRebalanceAfterJoin)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_WeightedPlace);

}  // namespace

BENCHMARK_MAIN();
