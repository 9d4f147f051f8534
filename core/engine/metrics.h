// What an engine reports about itself: its status (the C API's berth_engine_status), and as
// metrics that status, the served snapshot's balance figures and what the node counted, readable
// as a struct through the C API and as Prometheus text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/handoff_watch.h"
#include "engine/refresh.h"
#include "engine/metrics_exposition.h"
#include "snapshot/snapshot.h"

namespace berth {

struct EngineStatus {
  uint64_t version = 0;  // of the served snapshot
  uint64_t epoch = 0;
  bool is_leader = false;
  bool degraded = false;
  uint32_t servers = 0;  // in the served snapshot
  uint64_t streams = 0;
};

// What a node counts as it runs: refreshes, rejected input, and the tenant rules.
struct EngineCounters {
  double refresh_ms = 0;         // the last refresh on this node
  uint64_t refresh_ok = 0;
  uint64_t refresh_failed = 0;
  uint64_t moved_streams = 0;    // by the last refresh
  double moved_load = 0;
  double moved_load_fraction = 0;
  uint64_t new_streams = 0;      // added by the last refresh
  // The same over the node's life, for rate(): every published full refresh adds to them.
  uint64_t moved_streams_total = 0;
  double moved_load_total = 0;
  uint64_t new_streams_total = 0;
  metrics::DurationHistogram refresh_seconds;      // every full refresh, published or failed
  metrics::DurationHistogram publication_seconds;  // writing a version to the backend (every publication)
  uint64_t lookups_unknown = 0;
  uint64_t snapshots_rejected = 0;  // published bytes that failed to decode
  uint64_t intake_rejected = 0;     // intake batches that failed to parse, catalogue records refused
  // Tenant rules (scripting/): the last evaluation on this node, and what happened to changed
  // rule files over the node's life.
  RulesReport rules;
  uint64_t rules_reloads = 0;           // changed rule files brought into force
  uint64_t rules_refused = 0;           // changed rule files refused (the old rules stayed)
  std::string rules_last_refusal;       // why the last changed file was refused; cleared by a reload
  // Ownership (docs/ownership.md): hand-offs as the leader timed them while this node led, and
  // this node's own claims.
  HandoffFigures handoffs;
  uint64_t leases_lost = 0;    // times this node's lease ended and every claim with it
  uint64_t streams_held = 0;   // held now by the servers joined through this node
};

// The status, the served snapshot's balance (per unit of capacity) and the counters.
struct EngineMetrics : EngineStatus, Balance, EngineCounters {};

// Folds one refresh's rules report into the counters (a report that evaluated nothing changes
// nothing).
void record_rules(EngineCounters& c, RulesReport report);

// The last evaluation's problems, then the last refusal, one line each.
std::vector<std::string> rules_errors(const EngineCounters& c);

// Counts one full refresh that took `seconds`; `published` adds what it moved to the totals.
void record_refresh(EngineCounters& c, double seconds, const RefreshResult* published);

// Prometheus text exposition (version 0.0.4) of one engine: core/engine/metrics_families.h,
// without per-server series.
std::string metrics_prometheus(const EngineMetrics& m, const std::string& node_id);

}  // namespace berth
