// The engine's hot paths at several sizes: lookups of known and new streams, a full refresh (and
// the first one after an empty version), snapshot encode and decode.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <thread>

#include "common/hash.h"
#include "config/options.h"
#include "engine/engine.h"
#include "snapshot/codec.h"
#include "snapshot/known_owner.h"
#include "tools/workload.h"

namespace berth {
namespace {

// One leader engine per size, built once and shared by the benchmarks of that size.
struct Fixture {
  Workload workload;
  std::unique_ptr<Engine> engine;
  std::string key_bytes;
  std::vector<std::string_view> keys;  // shuffled: the table is probed at random

  Fixture(uint64_t streams, uint32_t servers) : workload(make_workload(streams, LoadDistribution::lognormal, 7)) {
    Options o;
    o.set("backend.cluster", "engine-bench-" + std::to_string(getpid()) + "-" + std::to_string(streams));
    o.set("appraiser.name", "reported");
    o.set("engine.refresh_on_change", "false");
    o.set("engine.refresh_interval", "1h");
    engine = std::make_unique<Engine>(o.resolve());
    for (const std::string& s : make_server_ids(servers)) engine->join(s, 1.0);
    for (uint64_t i = 0; i < streams; ++i) engine->add_stream(workload.stream_ids[i], "", workload.loads[i]);
    engine->flush();
    while (!engine->status().is_leader) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    engine->refresh();
    std::vector<uint64_t> order(streams);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(3));
    for (uint64_t i : order) key_bytes += workload.stream_ids[i];
    for (uint64_t i = 0, at = 0; i < streams; at += workload.stream_ids[order[i]].size(), ++i)
      keys.emplace_back(key_bytes.data() + at, workload.stream_ids[order[i]].size());
  }

  static Fixture& get(uint64_t streams) {
    static std::map<uint64_t, std::unique_ptr<Fixture>> fixtures;
    auto& f = fixtures[streams];
    if (!f) f = std::make_unique<Fixture>(streams, streams >= 1000000 ? 1000 : 100);
    return *f;
  }
};

void BM_LookupKnown(benchmark::State& state) {
  Fixture& f = Fixture::get(static_cast<uint64_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.engine->lookup(f.keys[i]));
    if (++i == f.keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupKnown)->Arg(10000)->Arg(100000)->Arg(1000000);

// The same lookups without the engine around them (no reader protection, no unknown-stream path):
// the hash, the table's probe and the owner's name, told apart from the call's own work.
void BM_LookupTableOnly(benchmark::State& state) {
  Fixture& f = Fixture::get(static_cast<uint64_t>(state.range(0)));
  std::shared_ptr<const Snapshot> snapshot = f.engine->snapshot();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(known_owner(*snapshot, stream_hash(f.keys[i]), f.keys[i]));
    if (++i == f.keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupTableOnly)->Arg(1000000);

void BM_LookupBatch(benchmark::State& state) {
  Fixture& f = Fixture::get(static_cast<uint64_t>(state.range(0)));
  constexpr size_t kBatch = 256;
  const char* owners[kBatch];
  size_t i = 0;
  for (auto _ : state) {
    if (i + kBatch > f.keys.size()) i = 0;
    f.engine->lookup_batch(f.keys.data() + i, kBatch, owners);
    benchmark::DoNotOptimize(owners);
    i += kBatch;
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_LookupBatch)->Arg(100000)->Arg(1000000);

void BM_LookupNew(benchmark::State& state) {
  Fixture& f = Fixture::get(static_cast<uint64_t>(state.range(0)));
  std::vector<std::string> fresh;
  for (int i = 0; i < 4096; ++i) fresh.push_back("never-seen-" + std::to_string(i));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.engine->lookup(fresh[i]));
    i = (i + 1) & 4095;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupNew)->Arg(100000);

void BM_FullRefresh(benchmark::State& state) {
  Fixture& f = Fixture::get(static_cast<uint64_t>(state.range(0)));
  for (auto _ : state) f.engine->refresh();
  state.counters["streams"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_FullRefresh)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(5);

// The first placement of many streams on top of a version published before any server joined
// (a cluster started empty, then filled): every stream is new since a base whose placer has
// nowhere to put anything.
void BM_FirstPlacementAfterEmptyVersion(benchmark::State& state) {
  const uint64_t streams = static_cast<uint64_t>(state.range(0));
  Workload workload = make_workload(streams, LoadDistribution::lognormal, 7);
  for (auto _ : state) {
    state.PauseTiming();
    Options o;
    o.set("backend.cluster", "engine-bench-empty-" + std::to_string(getpid()));
    o.set("appraiser.name", "reported");
    o.set("engine.refresh_on_change", "false");
    o.set("engine.refresh_interval", "1h");
    auto engine = std::make_unique<Engine>(o.resolve());
    while (!engine->status().is_leader) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    engine->refresh();  // a version with no server and no stream
    for (const std::string& s : make_server_ids(100)) engine->join(s, 1.0);
    for (uint64_t i = 0; i < streams; ++i) engine->add_stream(workload.stream_ids[i], "", workload.loads[i]);
    engine->flush();
    state.ResumeTiming();
    engine->refresh();
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.counters["streams"] = static_cast<double>(streams);
}
BENCHMARK(BM_FirstPlacementAfterEmptyVersion)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_EncodeSnapshot(benchmark::State& state) {
  Fixture& f = Fixture::get(static_cast<uint64_t>(state.range(0)));
  auto snap = f.engine->snapshot();
  size_t bytes = 0;
  for (auto _ : state) bytes = encode_snapshot(*snap).size();
  state.counters["bytes_per_stream"] = static_cast<double>(bytes) / static_cast<double>(state.range(0));
}
BENCHMARK(BM_EncodeSnapshot)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_DecodeSnapshot(benchmark::State& state) {
  Fixture& f = Fixture::get(static_cast<uint64_t>(state.range(0)));
  std::string bytes = encode_snapshot(*f.engine->snapshot());
  for (auto _ : state) benchmark::DoNotOptimize(decode_snapshot(bytes));
}
BENCHMARK(BM_DecodeSnapshot)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace berth

BENCHMARK_MAIN();
