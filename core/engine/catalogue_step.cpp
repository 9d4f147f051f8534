#include "engine/catalogue_step.h"

namespace berth {

std::vector<catalogue::Request> catalogue_requests(const PendingChanges& pending) {
  std::vector<catalogue::Request> out;
  for (const IntakeRecord& r : pending.catalogue()) {
    catalogue::RequestKind kind;
    switch (r.op) {
      case IntakeOp::migrate: kind = catalogue::RequestKind::migrate; break;
      case IntakeOp::migration_done: kind = catalogue::RequestKind::done; break;
      case IntakeOp::migration_failed: kind = catalogue::RequestKind::failed; break;
      case IntakeOp::purged: kind = catalogue::RequestKind::purged; break;
      case IntakeOp::delete_stream: kind = catalogue::RequestKind::remove; break;
      default: continue;  // another part's record
    }
    out.push_back(catalogue::Request{kind, r.stream, r.tenant});
  }
  return out;
}

catalogue::Settings catalogue_settings(const CatalogueOptions& options) {
  catalogue::Settings s;
  s.max_migrations = options.max_migrations;
  s.max_migrations_per_server = options.max_migrations_per_server;
  s.migration_interval_ms = options.migration_interval.count();
  return s;
}

catalogue::StepResult run_catalogue_step(const Snapshot* base, const ServerColumns& servers, const StreamColumns& streams,
                                         const std::vector<uint32_t>& previous, const PendingChanges& pending,
                                         const Provenance& meta, const catalogue::Settings& settings,
                                         const Policy& policy, const berth_rebalance_request& request,
                                         std::vector<uint32_t>& owner) {
  catalogue::StepInput in;
  in.base = base;
  in.servers = &servers;
  in.streams = &streams;
  in.previous = &previous;
  in.requests = catalogue_requests(pending);
  in.version = meta.version;
  in.now_ms = meta.created_unix_ms;
  in.settings = settings;
  in.rebalance_draining = [&](const std::vector<uint32_t>& draining) {
    std::vector<int32_t> state(request.servers->state, request.servers->state + request.servers->count);
    for (uint32_t s : draining) state[s] = BERTH_SERVER_DRAINING;
    berth_server_set view = *request.servers;
    view.state = state.data();
    berth_rebalance_request again = request;
    again.servers = &view;
    std::vector<uint32_t> chosen(owner.size(), BERTH_NO_SERVER);
    if (!chosen.empty()) policy.rebalance(again, chosen.data());
    return chosen;
  };
  return catalogue::step(in, owner);
}

}  // namespace berth
