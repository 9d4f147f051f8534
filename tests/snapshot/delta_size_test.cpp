// The requirement of issue 3: a refresh that moves 1% of 1M streams writes at most 10% of the
// bytes of a full snapshot. Both sizes are computed here, on a realistic workload.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "tools/workload.h"

namespace berth::test {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

TEST(SnapshotDeltaSize, MovingOnePercentOfAMillionStreamsWritesAtMostATenthOfTheBytes) {
  constexpr uint64_t kStreams = 1000000;
  constexpr uint32_t kServers = 1000;
  Workload workload = make_workload(kStreams, LoadDistribution::lognormal, 7);
  Snapshot base = make_snapshot(100, make_servers(make_server_ids(kServers)), workload.stream_ids);
  std::mt19937_64 random(3);
  for (uint64_t i = 0; i < kStreams; ++i) {
    base.load[i] = static_cast<float>(workload.loads[i]);
    base.owner[i] = static_cast<uint32_t>(random() % kServers);
  }
  finish(base);

  Snapshot next = next_version(base, 101);
  std::vector<uint64_t> order(kStreams);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), random);
  for (uint64_t k = 0; k < kStreams / 100; ++k) {
    uint64_t i = order[k];
    next.owner[i] = static_cast<uint32_t>((next.owner[i] + 1 + random() % (kServers - 1)) % kServers);
  }
  finish(next, &base);

  auto start = Clock::now();
  std::string full = encode_snapshot(next);
  double full_ms = ms_since(start);
  start = Clock::now();
  DeltaCounts counts;
  std::optional<std::string> delta = encode_delta(base, next, full.size(), &counts);
  double encode_ms = ms_since(start);
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(counts.changed, kStreams / 100);

  start = Clock::now();
  Delta decoded = decode_delta(*delta);
  double decode_ms = ms_since(start);
  start = Clock::now();
  Snapshot applied = apply_delta(base, decoded);
  double apply_ms = ms_since(start);
  start = Clock::now();
  finish(applied, &base);
  double finish_ms = ms_since(start);

  // What a follower does with the full snapshot instead: decode it and build its lookup table.
  start = Clock::now();
  Snapshot read_full = decode_snapshot(full);
  finish(read_full);
  double full_read_ms = ms_since(start);

  double fraction = static_cast<double>(delta->size()) / static_cast<double>(full.size());
  std::printf("full snapshot %zu bytes (encode %.1f ms, decode + finish %.1f ms); delta %zu bytes = %.4f of it "
              "(encode %.1f ms, decode %.1f ms, apply %.1f ms, finish %.1f ms)\n",
              full.size(), full_ms, full_read_ms, delta->size(), fraction, encode_ms, decode_ms, apply_ms, finish_ms);
  EXPECT_LE(delta->size(), full.size() / 10);
  EXPECT_EQ(applied.owner, next.owner);
  EXPECT_EQ(applied.streams, base.streams) << "no stream came or went";
  const auto* slot = applied.table->find(next.streams->hash[order[0]], next.streams->ids.at(order[0]),
                                         applied.streams->ids.arena.data());
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(slot->owner, next.owner[order[0]]) << "the patched table answers the new owner";
}

}  // namespace
}  // namespace berth::test
