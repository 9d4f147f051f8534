// The cluster `berth rules check` and `berth plan` judge a script against: the snapshot a backend
// serves now (a file or zookeeper backend named through --config/--set), or, when none is named,
// a simulated cluster with labeled servers and tenants, placed once by the configured policy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/options.h"
#include "plugin/loader.h"
#include "snapshot/snapshot.h"

namespace berth::tools {

struct ClusterSource {
  std::string config;                 // TOML file
  std::vector<std::string> settings;  // "section.key=value"
  uint32_t servers = 12;              // simulated cluster only
  uint64_t streams = 3000;
  uint32_t tenants = 20;              // besides acme, globex, initech, umbrella and gold
  uint64_t seed = 42;
  double timeout_s = 10;              // waiting for a backend's snapshot
};

struct Cluster {
  std::string description;  // "simulated: ..." or "backend file: version 12"
  Options options;          // resolved from --config/--set (policy, appraiser)
  std::shared_ptr<const Snapshot> snapshot;
};

// Servers "server-00".. in zones a, b, c (i % 3), racks r1/r2, even ones tagged ssd, the last two
// tier=gold; tenants acme, globex, initech, umbrella, gold and tenant-000..; lognormal loads.
std::shared_ptr<const ServerColumns> simulated_servers(uint32_t count);

// The snapshot a backend serves now, read by a node that neither campaigns nor joins. Throws
// Error(BERTH_E_INVALID_ARGUMENT) for the memory backend (nothing outside its process can read
// it) and Error(BERTH_E_TIMEOUT) when the backend has no snapshot within the timeout.
Cluster read_backend(const ClusterSource& source);

// Throws Error when a named backend has no snapshot within the timeout.
Cluster load_cluster(const ClusterSource& source, PluginRegistry& registry, const std::string& policy_override);

}  // namespace berth::tools
