// `berth bench --policies`: every placement policy on the same workloads, side by side: balance
// after a full placement, what moves when a server joins or leaves or loads drift, refresh time,
// and bytes of state per stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::cli {

struct PolicyBenchOptions {
  uint64_t streams = 1000000;
  uint32_t servers = 1000;
  std::vector<std::string> policies{"dl157", "least_load", "sticky", "weighted", "hash"};
  std::vector<std::string> workloads{"lognormal", "zipf"};
  double drift = 0.10;
  uint32_t repetitions = 3;
  bool json = false;
};

int run_policy_bench(const PolicyBenchOptions& options);

}  // namespace berth::cli
