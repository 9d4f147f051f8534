// An immutable, versioned assignment: which server owns which stream, with the provenance that
// produced it and everything derived from it that lookups and metrics need.
//
// A leader builds one from a rebalance; a follower decodes one from published bytes. Both then
// call finish_snapshot(), so both hold identical derived data (loads, lookup table, placer) and
// answer every lookup, new streams included, identically.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plugin/instances.h"
#include "snapshot/columns.h"
#include "snapshot/lookup_table.h"
#include "snapshot/server_names.h"
#include "snapshot/tombstones.h"

namespace berth {

// The catalogue's parts (docs/catalogue.md), each defined in its own header of this layer and
// shared between versions while unchanged.
struct OperatorServers;   // snapshot/operator_servers.h
struct CatalogueEntries;  // snapshot/catalogue_entries.h
struct SharedRules;       // snapshot/shared_rules.h
struct Weighting;         // snapshot/weighting.h

struct Provenance {
  uint64_t version = 0;
  uint64_t epoch = 0;
  std::string policy;
  uint32_t behaviour_version = 0;
  uint64_t rules_hash = 0;
  int64_t created_unix_ms = 0;
  std::string leader;
  bool soft_handoff = false;  // the publisher's ownership.soft_handoff
};

// A stream removed while held (docs/ownership.md): its holder keeps it until the holder releases
// it or its registration is gone, while the stream stays removed; added again, the stream is
// granted to that holder before anyone else.
struct RemovedHold {
  std::string stream;
  uint32_t holder = 0;  // server index
  uint64_t token = 0;   // the holder's fencing token
};

// A stream whose holder vanished (docs/ownership.md, "Lapsing holds"): its member went, or came
// back under another incarnation, otherwise than surely after its lease. Nobody is granted the
// stream until `until_ns` (the publishing leader's CLOCK_MONOTONIC; a leader of another epoch
// waits anew), unless the holder releases it or registers again under the same incarnation.
struct LapsingHold {
  std::string stream;
  std::string server;        // the vanished holder's id (it may be in no server list now)
  uint64_t incarnation = 0;  // of the registration that held it
  uint64_t token = 0;        // the holder's fencing token
  uint64_t epoch = 0;        // of the leader whose clock `until_ns` is on
  uint64_t until_ns = 0;
};

// Balance figures, all per unit of capacity.
struct Balance {
  double total_load = 0;
  double max_load = 0;      // max over servers of load / capacity
  double min_load = 0;
  double lower_bound = 0;   // max(total / total capacity, largest stream / largest capacity)
  double max_over_lb = 1;   // 1 is perfect
  uint64_t oversized_streams = 0;  // streams whose load alone exceeds a fair share
};

struct Snapshot {
  Provenance meta;
  std::shared_ptr<const ServerColumns> servers;
  std::shared_ptr<const StreamColumns> streams;
  std::vector<float> load;      // per stream: appraised load (float: what is published)
  std::vector<uint32_t> owner;  // per stream: server index
  std::shared_ptr<const Tombstones> tombstones;  // removed streams (null: none); none is in `streams`
  // Ownership (docs/ownership.md): who holds each stream now, which lags `owner` during a
  // hand-off. Both empty, or one entry per stream. Empty: the version predates ownership (or
  // was built without it) and nobody holds anything.
  std::vector<uint32_t> holder;  // per stream: server index, or BERTH_NO_SERVER while nobody holds it
  std::vector<uint64_t> token;   // per stream: the holder's fencing token (the version that granted it); 0: no holder
  std::vector<RemovedHold> removed_holds;  // each stream among `tombstones`, each holder a server
  std::vector<LapsingHold> lapsing_holds;  // at most one per stream id; held by nobody in `holder`
  // The catalogue (docs/catalogue.md): null when the version has none. Every version built from
  // this one carries them on unless its own step changed them.
  std::shared_ptr<const OperatorServers> operator_servers;
  std::shared_ptr<const CatalogueEntries> catalogue;
  std::shared_ptr<const SharedRules> shared_rules;
  std::shared_ptr<const Weighting> weighting;

  // Derived by finish_snapshot().
  std::vector<double> server_load;
  std::vector<uint64_t> server_streams;
  std::vector<const char*> server_name;  // interned ids, for lookup answers
  std::shared_ptr<ServerNames> names;    // keeps server_name's strings alive
  Balance balance;
  std::shared_ptr<const LookupTable> table;  // shared with the previous snapshot when unchanged
  std::shared_ptr<const Placer> placer;  // null when placement is impossible (see placer_error)
  int32_t placer_error_code = BERTH_OK;
  std::string placer_error;

  uint64_t stream_count() const noexcept { return owner.size(); }
  uint32_t server_count() const noexcept { return servers->size(); }
};

// Gives `to` the catalogue parts of `from` (shared, not copied): what every version built from
// another carries on unless its own step changes them.
inline void carry_catalogue(Snapshot& to, const Snapshot& from) {
  to.operator_servers = from.operator_servers;
  to.catalogue = from.catalogue;
  to.shared_rules = from.shared_rules;
  to.weighting = from.weighting;
}

// Checks the columns agree (sizes, owners and holders in range, a token exactly for each held
// stream) and computes the derived fields; the placer comes from `policy` (may be null: then new
// streams cannot be placed). When `previous` has the
// same stream and server columns, its lookup table is shared (no owner changed) or copied and
// patched (few did) instead of rebuilt. Throws Error(BERTH_E_CORRUPT).
void finish_snapshot(Snapshot& snapshot, const Policy* policy, std::shared_ptr<ServerNames> names,
                     const Snapshot* previous = nullptr);

Balance measure_balance(const ServerColumns& servers, const std::vector<double>& server_load,
                        const std::vector<float>& stream_load);

}  // namespace berth
