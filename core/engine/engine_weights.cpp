// Dynamic weights, the engine's part (docs/catalogue.md "Dynamic weights"): hosts' signal
// reports travel as intake records (op `signal`: stream = server id, tenant = signal name, the
// 8-byte slot = the value); the leader folds them into the weighting step (catalogue/
// weighting_step.h) on the members' server columns, last of what adjusts them.
#include <cmath>

#include <fmt/format.h>

#include "catalogue/weighting_step.h"
#include "common/error.h"
#include "common/log.h"
#include "engine/engine.h"

namespace berth {
namespace {

constexpr size_t kRejectionsLogged = 8;  // per refresh; the rest are counted only

}  // namespace

void Engine::open_weigher() {
  if (options_.weigher.name.empty()) return;
  weigher_ = std::make_unique<Weigher>(registry_.load(BERTH_PLUGIN_WEIGHER, options_.weigher.name),
                                       options_.weigher.config);
}

void Engine::report_signal(std::string_view server, std::string_view name, double value) {
  if (server.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "report_signal: the server id is empty");
  if (server.size() > kMaxIdBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("report_signal: the server id is {} bytes, more than {}",
                                                      server.size(), kMaxIdBytes));
  if (std::string problem = signal_name_problem(name); !problem.empty())
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("report_signal: server '{}': {}", server.substr(0, 64), problem));
  if (!std::isfinite(value))
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("report_signal: server '{}', signal '{}': the value {} is not finite",
                                                      server.substr(0, 64), name, value));
  record_intake(IntakeOp::signal, server, name, value);
}

std::shared_ptr<const ServerColumns> Engine::weigh_servers(const Snapshot* base,
                                                           std::shared_ptr<const ServerColumns> servers,
                                                           std::shared_ptr<const Weighting>& next) {
  next = nullptr;
  if (!weigher_) {
    // Every candidate needs the same [weigher]: a leader without one publishes the configured
    // capacities, and every weighted server's share jumps back at once.
    if (base != nullptr && base->weighting && !weighting_dropped_warned_.exchange(true))
      logger().warn("berth node {}: version {} was weighed by weigher '{}', but this node has no [weigher] section: "
                    "it publishes the configured capacities (give every candidate the same [weigher])",
                    node_id_, base->meta.version, base->weighting->plugin);
    return servers;
  }
  std::vector<SignalReport> reports;
  for (const IntakeRecord& r : intake_->pending().catalogue())
    if (r.op == IntakeOp::signal) reports.push_back(SignalReport{r.stream, r.tenant, r.load});
  const WeightingSettings settings{options_.weigher.smoothing, options_.weigher.min_factor,
                                   options_.weigher.max_factor, options_.weigher.hysteresis};
  WeightingOutcome out = weighting_step(base != nullptr ? base->weighting.get() : nullptr, reports, std::move(servers),
                                        *weigher_, settings);
  for (size_t k = 0; k < out.rejected.size() && k < kRejectionsLogged; ++k)
    logger().warn("berth node {}: {}: refused", node_id_, out.rejected[k]);
  if (out.rejected.size() > kRejectionsLogged)
    logger().warn("berth node {}: {} more signal reports refused", node_id_, out.rejected.size() - kRejectionsLogged);
  refused_in_build_ += out.rejected.size();
  if (!out.weigher_failure.empty())
    logger().warn("berth node {}: the weights stay as they were: {}", node_id_, out.weigher_failure);
  next = std::move(out.weighting);
  return std::move(out.servers);
}

}  // namespace berth
