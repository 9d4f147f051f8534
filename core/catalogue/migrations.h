// The leader's catalogue step for migrations and deletions (docs/catalogue.md, "The catalogue"):
// (the base's catalogue, the requests heard, the next version's servers and streams, the owners
// the policy decided) -> the next catalogue, and the owners it pins (a running migration's
// stream is written at its destination; a stream that finished one stays there for
// migration_interval while that server is up).
//
// Requests are applied in the order heard; one that does not apply (an unknown stream, a
// destination not up, a stream migrating already or migrated within the interval, a report of a
// copy nobody runs, a purge nobody asked for) is logged with what and where, counted, and
// changes nothing. Deletion wins: it cancels a running or queued migration, and every location
// the stream had (write and read) is listed to purge until its host reports it purged or the
// server is gone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "snapshot/catalogue_entries.h"
#include "snapshot/operator_servers.h"
#include "snapshot/snapshot.h"

namespace berth::catalogue {

// [catalogue] (config/options.h).
struct Settings {
  uint32_t max_migrations = 1000;            // running at once, in total
  uint32_t max_migrations_per_server = 100;  // running at once with a server as source or destination
  int64_t migration_interval_ms = 600000;    // a stream is not migrated again this soon after its last
  // Servers an operator marked for data migration (OperatorServer::migrate), sorted: their streams
  // migrate out to where the policy puts them, within the bounds above; until a stream's turn
  // comes it stays written where it is.
  std::vector<std::string> migrate_out;
};

// The ids of the servers `operators` marks for data migration, sorted (none: empty).
std::vector<std::string> marked_for_migration(const OperatorServers* operators);

enum class RequestKind { migrate, done, failed, purged, remove };

// One intake record of ops 8..12 (engine/intake.h), with the server it names (a migration's
// destination, empty for the policy's choice; the reporting server for done/failed/purged).
struct Request {
  RequestKind kind;
  std::string stream;
  std::string server;
};

struct StepCounts {
  uint64_t rejected = 0;   // requests that did not apply
  uint64_t started = 0;    // migrations started (from the queue)
  uint64_t done = 0;
  uint64_t failed = 0;     // failed copies reported (the migration stays, retried)
  uint64_t cancelled = 0;  // migrations ended without a copy: destination gone, stream removed
  uint64_t deleted = 0;
  uint64_t purged = 0;
};

struct StepInput {
  const Snapshot* base = nullptr;  // may be null (first version)
  const ServerColumns* servers = nullptr;  // the next version's
  const StreamColumns* streams = nullptr;  // the next version's
  // Per next stream: its owner before this refresh (an index into `servers`), or BERTH_NO_SERVER.
  const std::vector<uint32_t>* previous = nullptr;
  std::vector<Request> requests;
  uint64_t version = 0;  // of the next snapshot
  int64_t now_ms = 0;    // the leader's clock (the snapshot's created_unix_ms)
  Settings settings;
  // The policy's owners with these servers draining as well (for migrations whose destination
  // the policy chooses). Unset: such a migration is cancelled.
  std::function<std::vector<uint32_t>(const std::vector<uint32_t>& draining)> rebalance_draining;
};

struct StepResult {
  std::shared_ptr<const CatalogueEntries> catalogue;  // the base's own object when nothing changed
  StepCounts counts;
};

// `owner`: the policy's owners of the next streams; a running migration's stream is pinned to
// its destination here.
StepResult step(const StepInput& in, std::vector<uint32_t>& owner);

// The server states the policy is shown: a read-only server draining, so its streams get a new
// write location (the published state stays read-only). Empty when no server is read-only, and
// when no server is up: then there is nowhere else to write, and sealed servers keep their streams
// (as the ABI's BERTH_SERVER_READ_ONLY says) rather than the refresh failing.
std::vector<int32_t> policy_states(const ServerColumns& servers);

}  // namespace berth::catalogue
