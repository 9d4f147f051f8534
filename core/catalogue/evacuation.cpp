#include "catalogue/evacuation.h"

#include <algorithm>

#include "catalogue/locate.h"
#include "snapshot/catalogue_entries.h"

namespace berth::catalogue {

EvacuationPlan evacuation_plan(const Snapshot& s, std::string_view server, const Settings& settings) {
  EvacuationPlan plan;
  plan.max_migrations = settings.max_migrations;
  plan.max_migrations_per_server = settings.max_migrations_per_server;
  const OperatorServer* entry = s.operator_servers ? s.operator_servers->find(server) : nullptr;
  plan.marked = entry != nullptr && entry->migrate;
  if (s.operator_servers)
    for (const OperatorServer& o : s.operator_servers->servers) plan.marked_servers += o.migrate && o.id != server ? 1 : 0;
  ++plan.marked_servers;
  const uint32_t index = server_of(s, server);
  if (index != BERTH_NO_SERVER)
    for (uint64_t i = 0; i < s.stream_count(); ++i) plan.streams += s.owner[i] == index ? 1 : 0;
  if (s.catalogue)
    for (const Migration& m : s.catalogue->migrations)
      if (m.source == server) ++plan.migrating_out;
  // A running migration's stream is written at its destination: it is not among `streams`.
  // Every migration out of this server counts against its own per-server bound, and against the
  // total shared with the other marked servers: no refresh takes more of its streams than the
  // smaller of the two, however many servers are marked.
  plan.per_refresh = std::min(settings.max_migrations, settings.max_migrations_per_server);
  if (plan.per_refresh != 0 && plan.streams != 0)
    plan.refreshes = (plan.streams + plan.per_refresh - 1) / plan.per_refresh + 1;
  else if (plan.migrating_out != 0)
    plan.refreshes = 1;
  return plan;
}

}  // namespace berth::catalogue
