// What an engine reports about itself: DL-157's placement figures and more, readable as a
// struct through the C API and as Prometheus text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth {

struct EngineMetrics {
  uint64_t version = 0;
  uint64_t epoch = 0;
  bool is_leader = false;
  bool degraded = false;
  uint32_t servers = 0;
  uint64_t streams = 0;
  double total_load = 0;
  double max_load = 0;  // per unit of capacity
  double min_load = 0;
  double lower_bound = 0;
  double max_over_lb = 1;
  uint64_t oversized_streams = 0;
  double refresh_ms = 0;         // the last refresh on this node
  uint64_t refresh_ok = 0;
  uint64_t refresh_failed = 0;
  uint64_t moved_streams = 0;    // by the last refresh
  double moved_load = 0;
  double moved_load_fraction = 0;
  uint64_t new_streams = 0;      // added by the last refresh
  uint64_t lookups_unknown = 0;
  uint64_t snapshots_rejected = 0;  // published bytes that failed to decode
  uint64_t intake_rejected = 0;     // intake batches that failed to parse
  // Tenant rules (scripting/), as of the last refresh on this node.
  uint64_t rules_hash = 0;              // of the rules in force; 0: none
  uint64_t rules_reloads = 0;           // changed rule files brought into force
  uint64_t rules_refused = 0;           // changed rule files refused (the old rules stayed)
  uint64_t rules_problems = 0;          // problems in the last evaluation
  uint64_t rules_kept_owner = 0;        // streams held on their owner because a rule failed or allowed nothing
  uint64_t rules_constrained_streams = 0;
  uint64_t rules_classes = 0;
  uint64_t rules_violations = 0;        // constrained streams the policy put outside their allowed servers
  double rules_eval_ms = 0;
  std::string rules_last_refusal;        // why the last changed file was refused; cleared by a reload
  std::vector<std::string> rules_errors;  // the last evaluation's problems, then the last refusal
};

struct RulesReport;
// Folds one refresh's rules report into the metrics.
void record_rules(EngineMetrics& m, const RulesReport& report);

// Prometheus text exposition (version 0.0.4), one gauge or counter per field.
std::string metrics_prometheus(const EngineMetrics& m, const std::string& node_id);

}  // namespace berth
