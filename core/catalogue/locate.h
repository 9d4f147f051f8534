// Everything the catalogue says about one stream in one version (docs/catalogue.md): a pure
// function of the snapshot, so every node holding the same version answers the same.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapshot/catalogue_entries.h"
#include "snapshot/snapshot.h"

namespace berth::catalogue {

struct StreamLocation {
  uint64_t version = 0;
  CatalogueStatus status = CatalogueStatus::active;
  // In the assignment. False for an unknown stream (owner: where a lookup places it) and for a
  // deleted one (owner null; read_locations: where it still is to purge).
  bool known = false;
  // Server names below are the snapshot's interned ids (Snapshot::server_name): valid as long as
  // the snapshot's names are.
  const char* owner = nullptr;   // write location
  const char* holder = nullptr;  // null: nobody holds it
  uint64_t token = 0;
  std::string tenant;
  double load = 0;
  std::vector<const char*> read_locations;  // the owner first, then the source, then sealed servers
  const char* source = nullptr;             // of a running migration
  const char* destination = nullptr;
  bool queued = false;                      // a migration waits for a concurrency bound
  std::string queued_destination;           // "": the policy chooses
};

// Throws Error(BERTH_E_INVALID_ARGUMENT) for an empty id; an unknown stream the snapshot cannot
// place is answered with a null owner.
StreamLocation locate(const Snapshot& s, std::string_view stream);

// The snapshot's index of server `id`, or BERTH_NO_SERVER.
uint32_t server_of(const Snapshot& s, std::string_view id);

}  // namespace berth::catalogue
