// ServerClaims::holds(), the check a host makes before each write, with 1k and 100k held
// streams and short ids ("stream-0012345", 14 bytes). Floor: <= 20 ns for a held id in cache.
//   HoldsSameId      one held id again and again: the id, its slot and its entry stay in cache
//   HoldsCycle1k     the first 1000 held ids in a shuffled order (a working set that fits in cache)
//   HoldsEveryId     every held id in a shuffled order (at 100k: table and ids beyond L2)
//   HoldsNotHeld     ids never held (the probe ends on an empty slot)
//   CoarseClock      coarse_now_ns() alone: the part of holds() the lease check costs
// Besides the time per call, each reports the median and 99th percentile of the time per call
// over batches of 64 calls (p50_ns, p99_ns), which catches what an average hides (preemption,
// cache misses that come in bursts).
//
//   berth_claims_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "berth/abi.h"
#include "common/hash.h"
#include "ownership/server_claims.h"
#include "snapshot/snapshot.h"

namespace {

using berth::ownership::ServerClaims;

constexpr uint64_t kIncarnation = 1;
constexpr int kBatch = 64;
constexpr size_t kMaxBatches = 1 << 20;

std::string stream_id(uint64_t i) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "stream-%07llu", static_cast<unsigned long long>(i));
  return buffer;
}

// One server holding `count` streams, taken up through apply() as a node would.
struct Held {
  explicit Held(uint64_t count) : claims("a", lease) {
    auto servers = std::make_shared<berth::ServerColumns>();
    servers->ids.push_back("a");
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
    servers->incarnation.push_back(kIncarnation);
    auto streams = std::make_shared<berth::StreamColumns>();
    streams->tenants.push_back("");
    berth::Snapshot snapshot;
    snapshot.meta.version = 1;
    for (uint64_t i = 0; i < count; ++i) {
      ids.push_back(stream_id(i));
      streams->ids.push_back(ids.back());
      streams->hash.push_back(berth::stream_hash(ids.back()));
      streams->tenant.push_back(0);
      snapshot.load.push_back(1.0F);
      snapshot.owner.push_back(0);
      snapshot.holder.push_back(0);
      snapshot.token.push_back(1);
    }
    snapshot.servers = std::move(servers);
    snapshot.streams = std::move(streams);
    claims.apply(snapshot, 0, kIncarnation);
    std::mt19937_64 random(42);
    std::shuffle(ids.begin(), ids.end(), random);
  }
  std::atomic<uint64_t> lease{std::numeric_limits<uint64_t>::max()};
  ServerClaims claims;
  std::vector<std::string> ids;
};

Held& held(uint64_t count) {
  static std::map<uint64_t, std::unique_ptr<Held>> built;
  auto& slot = built[count];
  if (!slot) slot = std::make_unique<Held>(count);
  return *slot;
}

double percentile(std::vector<double>& values, double fraction) {
  if (values.empty()) return 0;
  const auto at = static_cast<size_t>(fraction * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

// Calls holds() on `ids` in turn, kBatch at a time, and checks every answer is `expect`.
void run(benchmark::State& state, const ServerClaims& claims, const std::vector<std::string>& ids, bool expect) {
  std::vector<double> per_call_ns;
  per_call_ns.reserve(kMaxBatches);
  size_t next = 0;
  uint64_t wrong = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kBatch; ++i) {
      uint64_t token = 0;
      wrong += claims.holds(ids[next], &token) != expect;
      benchmark::DoNotOptimize(token);
      if (++next == ids.size()) next = 0;
    }
    const auto end = std::chrono::steady_clock::now();
    if (per_call_ns.size() < kMaxBatches) {
      per_call_ns.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()) / kBatch);
    }
  }
  if (wrong != 0) state.SkipWithError(expect ? "a held stream read as not held" : "a stream never held read as held");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
  state.counters["p50_ns"] = percentile(per_call_ns, 0.50);
  state.counters["p99_ns"] = percentile(per_call_ns, 0.99);
}

void BM_HoldsSameId(benchmark::State& state) {
  Held& h = held(static_cast<uint64_t>(state.range(0)));
  run(state, h.claims, {h.ids.front()}, true);
}
BENCHMARK(BM_HoldsSameId)->Arg(1000)->Arg(100000);

void BM_HoldsCycle1k(benchmark::State& state) {
  Held& h = held(static_cast<uint64_t>(state.range(0)));
  run(state, h.claims, std::vector<std::string>(h.ids.begin(), h.ids.begin() + 1000), true);
}
BENCHMARK(BM_HoldsCycle1k)->Arg(1000)->Arg(100000);

void BM_HoldsEveryId(benchmark::State& state) {
  Held& h = held(static_cast<uint64_t>(state.range(0)));
  run(state, h.claims, h.ids, true);
}
BENCHMARK(BM_HoldsEveryId)->Arg(1000)->Arg(100000);

void BM_HoldsNotHeld(benchmark::State& state) {
  Held& h = held(static_cast<uint64_t>(state.range(0)));
  std::vector<std::string> strangers;
  for (uint64_t i = 0; i < 1000; ++i) strangers.push_back(stream_id(10'000'000 + i));
  run(state, h.claims, strangers, false);
}
BENCHMARK(BM_HoldsNotHeld)->Arg(1000)->Arg(100000);

void BM_CoarseClock(benchmark::State& state) {
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) benchmark::DoNotOptimize(berth::ownership::coarse_now_ns());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
}
BENCHMARK(BM_CoarseClock);

}  // namespace

BENCHMARK_MAIN();
