// What the timed benches share: the backend they run on (memory, or ZooKeeper with --zk) and the
// percentile they report.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/options.h"

namespace berth::cli {

// Options on a backend of this bench's own: a memory cluster, or a root under the ZooKeeper
// ensemble `zk`, named `bench`-pid so concurrent runs never meet.
inline Options bench_backend(const std::string& zk, const std::string& bench) {
  Options base;
  if (zk.empty()) {
    base.set("backend.name", "memory", "bench");
    base.set("backend.cluster", fmt::format("{}-{}", bench, getpid()), "bench");
  } else {
    base.set("backend.name", "zookeeper", "--zk");
    base.set("backend.connect", zk, "--zk");
    base.set("backend.root", fmt::format("/berth-{}-{}", bench, getpid()), "--zk");
  }
  return base;
}

// The value at fraction p (0 to 1) of v, nearest rank; 0 for no values.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace berth::cli
