// The engine's part in servers an operator manages (docs/catalogue.md): a node sends changes as
// intake records; the leader applies them in its refresh (catalogue/operator_servers_step.h).
#include <limits>

#include <fmt/format.h>

#include "common/error.h"
#include "common/log.h"
#include "engine/engine.h"

namespace berth {
namespace {

constexpr double kNoCapacity = std::numeric_limits<double>::quiet_NaN();

}  // namespace

void Engine::set_server(const ServerChange& change) {
  if (std::string problem = server_change_problem(change); !problem.empty())
    throw Error(BERTH_E_INVALID_ARGUMENT, problem);
  const double capacity = (change.fields & kServerSetCapacity) ? change.capacity : kNoCapacity;
  record_intake(IntakeOp::server_set, change.id, server_change_payload(change), capacity);
  // A drain or a seal goes to the leader at once, which refreshes at once for it. A failed send
  // stays queued: the worker sends it with the next flush.
  if (!server_change_stops_placement(change)) return;
  try {
    flush_intake();
  } catch (const std::exception& e) {
    logger().warn("berth node {}: server '{}': change queued, not yet sent: {}", node_id_, change.id.substr(0, 64), e.what());
  }
}

void Engine::remove_server(std::string_view server) {
  if (server.empty()) throw Error(BERTH_E_INVALID_ARGUMENT, "server id is empty");
  if (server.size() > kMaxOperatorServerIdBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("server id of {} bytes is longer than a server id may be ({} bytes)",
                                                      server.size(), kMaxOperatorServerIdBytes));
  std::shared_ptr<const Snapshot> served = cell_.shared();
  if (!served || !served->operator_servers || !served->operator_servers->find(server))
    throw Error(BERTH_E_NOT_FOUND,
                fmt::format("node {}: server '{}' has no operator entry in version {}", node_id_, server.substr(0, 64),
                            served ? served->meta.version : 0));
  record_intake(IntakeOp::server_remove, server, "", kNoCapacity);
}

std::shared_ptr<const OperatorServers> Engine::next_operator_servers(const Snapshot* base) {
  std::vector<ServerRecord> records;
  for (const IntakeRecord& r : intake_->pending().catalogue()) {
    if (r.op != IntakeOp::server_set && r.op != IntakeOp::server_remove) continue;
    records.push_back(ServerRecord{r.op == IntakeOp::server_remove, r.stream, r.tenant, r.load});
  }
  ServerStepResult step = step_operator_servers(base ? base->operator_servers : nullptr, records);
  for (const std::string& why : step.rejections) logger().warn("berth node {}: operator change refused: {}", node_id_, why);
  for (const std::string& note : step.notes) logger().info("berth node {}: {}", node_id_, note);
  refused_in_build_ += step.rejected;
  return step.next;
}

bool Engine::drains_or_seals(const PendingChanges& pending) {
  for (const IntakeRecord& r : pending.catalogue()) {
    if (r.op != IntakeOp::server_set) continue;
    try {
      if (server_change_stops_placement(parse_server_change(r.stream, r.tenant, r.load))) return true;
    } catch (const Error&) {
      // Refused, logged and counted by the refresh that reads it.
    }
  }
  return false;
}

}  // namespace berth
