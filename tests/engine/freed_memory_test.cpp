// engine.return_freed_memory: after a leader's refreshes and a follower's installs, the engine
// has already given back to the system what they freed, so a malloc_trim(0) of the test's own
// finds next to nothing left to return. Without the option (the broken variant) the same trim
// returns tens of MB: the check sees what the option is for.
//
// Resident memory is per process, and under ctest each test runs in a process of its own
// (gtest_discover_tests), so the two cases do not disturb each other; they run alone (RUN_SERIAL)
// so that a worker starved of the CPU does not return its memory after the test looked. Label
// "memory": sanitizers replace malloc and their malloc_trim returns nothing, so only the regular
// build runs these.
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "engine/engine_fixture.h"

namespace {

using namespace std::chrono_literals;

constexpr int kStreams = 200'000;
constexpr int64_t kMB = 1'000'000;

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

// What a malloc_trim(0) now gives back: what the engines left with the allocator.
int64_t returned_by_a_trim() {
  const int64_t before = resident_bytes();
  malloc_trim(0);
  return before - resident_bytes();
}

std::unique_ptr<berth::Engine> open(const std::string& cluster, const std::string& node, bool campaign, bool give_back) {
  berth::Options o = berth::testing::node_options(cluster, {.node_id = node, .campaign = campaign});
  o.set("engine.checkpoint_ratio", "0");  // every version a full one: the follower decodes it all
  o.set("engine.return_freed_memory", give_back ? "true" : "false");
  return std::make_unique<berth::Engine>(o.resolve());
}

// A leader placing kStreams streams over 100 servers, refreshed three times with loads drifting,
// and a follower that installs each version; returns what a trim then finds to give back.
int64_t left_with_the_allocator(bool give_back) {
  const std::string cluster = berth::testing::unique_cluster(give_back ? "freed-returned" : "freed-kept");
  auto leader = open(cluster, "leader", true, give_back);
  auto follower = open(cluster, "follower", false, give_back);
  for (int s = 0; s < 100; ++s) leader->join("server-" + std::to_string(s), 1.0);
  EXPECT_TRUE(berth::testing::eventually([&] { return leader->status().is_leader; }, 30s)) << "no leader";
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kStreams; ++i)
      leader->add_stream("stream-" + std::to_string(i), "", 1.0 + (i * 7 + round * 13) % 11);
    leader->flush();
    leader->refresh();
    follower->wait_version(leader->status().version, 30s);
  }
  EXPECT_EQ(follower->snapshot()->stream_count(), static_cast<uint64_t>(kStreams));
  // The follower's worker returns what its last install freed after it served it: wait until
  // the resident memory holds still (ten readings 50 ms apart, at most 10 s).
  int64_t last = resident_bytes();
  for (int same = 0, tries = 0; same < 10 && tries < 200; ++tries) {
    std::this_thread::sleep_for(50ms);
    const int64_t now = resident_bytes();
    same = now == last ? same + 1 : 0;
    last = now;
  }
  return returned_by_a_trim();
}

TEST(FreedMemory, AfterRefreshesAndInstallsATrimFindsLessThan2MBToReturn) {
  const int64_t returned = left_with_the_allocator(true);
  std::printf("with engine.return_freed_memory: a trim returned %.1f MB\n", static_cast<double>(returned) / kMB);
  EXPECT_LT(returned, 2 * kMB) << "the engines kept freed memory with the allocator";
}

TEST(FreedMemory, WithoutReturningItATrimFindsMoreThan8MBToReturn) {
  const int64_t returned = left_with_the_allocator(false);
  std::printf("without engine.return_freed_memory: a trim returned %.1f MB\n", static_cast<double>(returned) / kMB);
  EXPECT_GT(returned, 8 * kMB) << "the check would not see an engine that keeps what it freed";
}

}  // namespace
