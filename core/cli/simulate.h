// `berth simulate`: a cluster of engine nodes on one backend, driven through a scenario of
// membership changes, load drift, new streams and leader failover, printing one row per step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::cli {

struct SimulateOptions {
  uint32_t servers = 50;
  uint64_t streams = 20000;
  std::string dist = "lognormal";
  std::string policy = "sticky";
  std::string appraiser = "reported";  // uses the loads the simulated hosts report
  std::string backend = "memory";
  std::string zk;                      // "host:port,...": the zookeeper backend on that ensemble
  std::string config;                  // optional TOML with [policy]/[appraiser]/[backend] settings
  std::vector<std::string> settings;   // "section.key=value" overrides, applied last
  uint32_t nodes = 3;
  uint64_t seed = 42;
  double drift = 0.10;
  uint32_t new_streams = 1000;
  bool json = false;
  std::string metrics_listen;          // "ADDRESS:PORT": serve /metrics and /healthz while it runs
  double metrics_linger = 0;           // seconds to keep serving after the last step (or a signal)
};

// Returns the process exit code.
int run_simulate(const SimulateOptions& options);

}  // namespace berth::cli
