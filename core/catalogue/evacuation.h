// Servers an operator marks for data migration (docs/catalogue.md, "Migrating a server out"):
// what marking one means against a snapshot, for the caller's checks and a dry run. The leader's
// part is in catalogue/migrations.h (Settings::migrate_out).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "catalogue/migrations.h"
#include "snapshot/snapshot.h"

namespace berth::catalogue {

struct EvacuationPlan {
  bool marked = false;         // the snapshot shows the server marked already
  uint64_t streams = 0;        // written there now, none migrating out yet
  uint64_t migrating_out = 0;  // running migrations with the server as source
  uint32_t max_migrations = 0;
  uint32_t max_migrations_per_server = 0;
  uint32_t marked_servers = 0;  // marked in the snapshot, counting this one (they share max_migrations)
  // Migrations out of this server one refresh can run, at most: min(max_migrations,
  // max_migrations_per_server), whatever the other marked servers take.
  uint32_t per_refresh = 0;
  // The fewest refreshes that see every stream out (a lower bound): each runs at most per_refresh
  // of this server's migrations, and the last ones end in one more refresh after their copies are
  // reported.
  uint64_t refreshes = 0;
};

// What marking `server` (present in `s`) would do, under `settings`' bounds.
EvacuationPlan evacuation_plan(const Snapshot& s, std::string_view server, const Settings& settings);

}  // namespace berth::catalogue
