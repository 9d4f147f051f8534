// `berth bench --migrations`: the catalogue under load (docs/catalogue.md). A leader and a
// follower on the memory backend or a real ZooKeeper ensemble, --streams streams on ten servers;
// each round asks for --migrations migrations at once and then reports every copy done. Per
// version: the leader's refresh and publication time, and the time from the leader serving a
// version to the follower serving it (the status changes reaching followers).
#pragma once

#include <cstdint>
#include <string>

namespace berth::cli {

struct MigrationBenchOptions {
  uint64_t streams = 1000000;
  uint32_t migrations = 1000;  // asked at once per round
  uint32_t rounds = 3;
  std::string zk;  // "host:port,...": the zookeeper backend there; empty: memory
  bool json = false;
};

int run_migration_bench(const MigrationBenchOptions& options);

}  // namespace berth::cli
