#include "tools/rules_cluster.h"

#include <fmt/format.h>

#include <random>

#include "common/error.h"
#include "engine/engine.h"
#include "engine/refresh.h"
#include "tools/settings.h"
#include "tools/workload.h"

namespace berth::tools {
namespace {

Options resolve_options(const ClusterSource& source) {
  Options o;
  if (!source.config.empty()) o.load_file(source.config);
  apply_settings(o, source.settings);
  return o;
}

Cluster from_backend(const ClusterSource& source, Options options) {
  Cluster out;
  Options reader = options;
  reader.set("engine.campaign", "false", "rules");
  reader.set("engine.node_id", fmt::format("berth-rules-{}", ::getpid()), "rules");
  EngineOptions resolved = reader.resolve();
  resolved.rules = {};  // the file under judgement is the one given, not the configured one
  Engine engine(resolved);
  engine.wait_version(1, std::chrono::milliseconds(static_cast<int64_t>(source.timeout_s * 1000)));
  out.snapshot = engine.snapshot();
  out.description = fmt::format("backend {}: version {} by {}", resolved.backend.name, out.snapshot->meta.version,
                                out.snapshot->meta.leader);
  out.options = std::move(options);
  return out;
}

}  // namespace

Cluster read_backend(const ClusterSource& source) {
  Options options = resolve_options(source);
  const std::string backend = options.resolve().backend.name;
  if (backend == "memory")
    throw Error(BERTH_E_INVALID_ARGUMENT, "the memory backend lives inside one process, so no other process can read its "
                                          "snapshot: name a file or zookeeper backend (--config, or --set backend.name=...)");
  return from_backend(source, std::move(options));
}

std::shared_ptr<const ServerColumns> simulated_servers(uint32_t count) {
  auto servers = std::make_shared<ServerColumns>();
  for (uint32_t i = 0; i < count; ++i) {
    servers->ids.push_back(fmt::format("server-{:02}", i));
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
    std::string labels = fmt::format("zone={},rack=r{}", "abc"[i % 3], (i / 3) % 2 + 1);
    if (i % 2 == 0) labels += ",ssd";
    if (i + 2 >= count) labels += ",tier=gold";
    servers->labels.push_back(parse_labels(labels));
  }
  return servers;
}

Cluster load_cluster(const ClusterSource& source, PluginRegistry& registry, const std::string& policy_override) {
  Options options = resolve_options(source);
  if (!policy_override.empty()) options.set("policy.name", policy_override, "--policy");
  EngineOptions resolved = options.resolve();
  if (resolved.backend.name != "memory") return from_backend(source, std::move(options));
  // An in-process memory backend holds nothing a new process could read: simulate a cluster.
  if (source.servers < 2) throw Error(BERTH_E_INVALID_ARGUMENT, "--servers must be at least 2");
  std::vector<std::string> tenants = {"acme", "globex", "initech", "umbrella", "gold"};
  for (uint32_t t = 0; t < source.tenants; ++t) tenants.push_back(fmt::format("tenant-{:03}", t));
  Workload w = make_workload(source.streams, LoadDistribution::lognormal, source.seed);
  std::mt19937_64 rng(source.seed);
  PendingChanges pending;
  for (uint64_t i = 0; i < source.streams; ++i)
    pending.apply(IntakeRecord{IntakeOp::add, w.stream_ids[i], tenants[rng() % tenants.size()], w.loads[i]});

  Appraiser appraiser(registry.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
  auto policy = std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, resolved.policy.name), resolved.policy.config);
  Provenance meta;
  meta.version = 1;
  meta.leader = "simulated";
  RefreshResult first = compute_refresh(nullptr, simulated_servers(source.servers), pending, appraiser, *policy, meta,
                                        std::make_shared<ServerNames>());
  Cluster out;
  out.snapshot = std::move(first.snapshot);
  out.description = fmt::format("simulated: {} servers in zones a, b, c; {} streams of {} tenants, placed by {}", source.servers,
                                source.streams, tenants.size(), resolved.policy.name);
  out.options = std::move(options);
  return out;
}

}  // namespace berth::tools
