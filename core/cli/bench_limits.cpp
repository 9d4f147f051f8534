#include "cli/bench_limits.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <random>
#include <thread>

#include "common/hash.h"
#include "snapshot/huge_array.h"
#include "snapshot/known_owner.h"
#include "snapshot/snapshot_cell.h"
#include "tools/median.h"

namespace berth::cli {
namespace {

using Clock = std::chrono::steady_clock;
__extension__ using u128 = unsigned __int128;

// Runs `step(n)` (which does n operations) until `seconds` pass; operations per second.
template <class Step>
double rate_of(double seconds, Step&& step) {
  constexpr uint64_t kChunk = 1 << 14;
  uint64_t done = 0;
  auto start = Clock::now();
  auto until = start + std::chrono::duration<double>(seconds);
  do {
    step(kChunk);
    done += kChunk;
  } while (Clock::now() < until);
  return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

// Keeps the reads from being optimised away, without a branch the loops would pay for.
void keep(uint64_t value) { asm volatile("" : : "r"(value) : "memory"); }

}  // namespace

MemoryLimit measure_memory_limit(size_t bytes, uint32_t repetitions, double seconds) {
  const size_t n = std::max<size_t>(bytes / sizeof(uint64_t), 2);
  // Allocated as the lookup table is (huge pages where the kernel grants them), so both pay the
  // same TLB cost. Filled with one random cycle (Sattolo) so the chain visits every entry.
  HugeArray<uint64_t> a(n);
  std::iota(&a[0], &a[0] + n, uint64_t{0});
  std::mt19937_64 rng(5);
  for (size_t i = n - 1; i > 0; --i) std::swap(a[i], a[std::uniform_int_distribution<size_t>(0, i - 1)(rng)]);

  uint64_t sink = 0;
  uint64_t x = 0x9E3779B97F4A7C15u;
  std::vector<double> independent, dependent;
  for (uint32_t r = 0; r < std::max<uint32_t>(1, repetitions); ++r) {
    independent.push_back(rate_of(seconds, [&](uint64_t count) {
      for (uint64_t i = 0; i < count; ++i) {
        x = x * 6364136223846793005u + 1442695040888963407u;  // the next address needs no load
        sink += a[static_cast<size_t>((static_cast<u128>(x) * n) >> 64)];
      }
    }));
    dependent.push_back(rate_of(seconds, [&](uint64_t count) {
      uint64_t at = sink % n;
      for (uint64_t i = 0; i < count; ++i) at = a[at];
      sink += at;
    }));
  }
  keep(sink);
  return MemoryLimit{n * sizeof(uint64_t), tools::median(independent), tools::median(dependent)};
}

SwapFigures measure_swap(const std::shared_ptr<const Snapshot>& snapshot, const std::vector<std::string_view>& keys,
                         uint32_t repetitions, double seconds) {
  // A second version to alternate with: the same answers, its own identity, its table shared, as
  // a follower's next version shares what did not change.
  auto other = std::make_shared<Snapshot>();
  other->meta = snapshot->meta;
  other->meta.version += 1;
  other->servers = snapshot->servers;
  other->streams = snapshot->streams;
  other->server_name = snapshot->server_name;
  other->names = snapshot->names;
  other->table = snapshot->table;
  const std::shared_ptr<const Snapshot> versions[2] = {snapshot, other};

  SnapshotCell cell;
  cell.store(snapshot);
  uintptr_t sink = 0;
  size_t next = 0;
  auto lookups = [&](uint64_t count) {
    for (uint64_t i = 0; i < count; ++i, next = next + 1 == keys.size() ? 0 : next + 1) {
      std::string_view key = keys[next];
      SnapshotCell::Reader reader(cell);
      sink += reinterpret_cast<uintptr_t>(known_owner(*reader.get(), stream_hash(key), key));
    }
  };
  std::vector<double> quiet, swapping;
  std::atomic<uint64_t> swaps{0};
  for (uint32_t r = 0; r < std::max<uint32_t>(1, repetitions); ++r) {
    quiet.push_back(rate_of(seconds, lookups));
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int v = 1; !stop.load(std::memory_order_relaxed); v ^= 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        cell.store(versions[v]);
        swaps.fetch_add(1, std::memory_order_relaxed);
      }
    });
    swapping.push_back(rate_of(seconds, lookups));
    stop = true;
    writer.join();
  }
  keep(sink);
  return SwapFigures{tools::median(quiet), tools::median(swapping), swaps.load()};
}

}  // namespace berth::cli
