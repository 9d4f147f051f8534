// `berth bench`: the headline figures of an engine at scale, measured in one run.
#pragma once

#include <cstdint>
#include <string>

namespace berth::cli {

struct BenchOptions {
  uint64_t streams = 1000000;
  uint32_t servers = 1000;
  std::string dist = "lognormal";
  std::string policy = "least_load";
  uint32_t repetitions = 5;
  double lookup_seconds = 1.0;
  bool json = false;
  uint32_t delta_installs = 1000;  // versions (1% moved, a stream created) a follower installs, for its memory growth
  bool keep_freed_memory = false;  // engine.return_freed_memory = false, to measure what it saves and costs
  // "host:port,...": also publish the bench's snapshot through this ZooKeeper ensemble, under a
  // root of its own (/berth-bench-<pid>, left behind with the last two versions), and time it.
  std::string zk;
};

int run_bench(const BenchOptions& options);

}  // namespace berth::cli
