#include "engine/metrics.h"

#include <fmt/format.h>


namespace berth {
namespace {

void emit(std::string& out, const char* name, const char* type, const char* help, const std::string& node, double value) {
  fmt::format_to(std::back_inserter(out), "# HELP berth_{} {}\n# TYPE berth_{} {}\nberth_{}{{node=\"{}\"}} {}\n", name, help,
                 name, type, name, node, value);
}

// Prometheus label values escape backslash, quote and newline.
std::string escape_label(const std::string& in) {
  std::string out;
  for (char c : in) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void record_rules(EngineCounters& c, RulesReport r) {
  if (!r.evaluated) return;
  c.rules_reloads += r.reloaded ? 1 : 0;
  c.rules_refused += r.refused.empty() ? 0 : 1;
  if (r.reloaded) c.rules_last_refusal.clear();
  if (!r.refused.empty()) c.rules_last_refusal = r.refused;
  c.rules = std::move(r);
}

std::vector<std::string> rules_errors(const EngineCounters& c) {
  std::vector<std::string> out;
  for (const auto& p : c.rules.problems) out.push_back(fmt::format("{}: {}", rules::kind_name(p.kind), p.message));
  if (!c.rules_last_refusal.empty()) out.push_back(c.rules_last_refusal);
  return out;
}

std::string metrics_prometheus(const EngineMetrics& m, const std::string& node_id) {
  std::string out;
  std::string node = escape_label(node_id);
  auto d = [](auto v) { return static_cast<double>(v); };
  emit(out, "snapshot_version", "gauge", "Version of the snapshot this node serves.", node, d(m.version));
  emit(out, "leader_epoch", "gauge", "Leadership epoch this node last saw.", node, d(m.epoch));
  emit(out, "is_leader", "gauge", "1 when this node leads.", node, m.is_leader ? 1 : 0);
  emit(out, "degraded", "gauge", "1 while the backend is unreachable and the last snapshot is served.", node, m.degraded ? 1 : 0);
  emit(out, "servers", "gauge", "Servers in the served snapshot.", node, d(m.servers));
  emit(out, "streams", "gauge", "Streams in the served snapshot.", node, d(m.streams));
  emit(out, "load_total", "gauge", "Total appraised load.", node, m.total_load);
  emit(out, "server_load_max", "gauge", "Highest server load per unit of capacity.", node, m.max_load);
  emit(out, "server_load_min", "gauge", "Lowest server load per unit of capacity.", node, m.min_load);
  emit(out, "server_load_spread", "gauge", "Highest minus lowest server load per unit of capacity.", node, m.max_load - m.min_load);
  emit(out, "load_lower_bound", "gauge", "Lower bound for the highest server load.", node, m.lower_bound);
  emit(out, "max_over_lower_bound", "gauge", "Highest server load over its lower bound (1 is perfect).", node, m.max_over_lb);
  emit(out, "oversized_streams", "gauge", "Streams whose load alone exceeds a fair share.", node, d(m.oversized_streams));
  emit(out, "refresh_duration_ms", "gauge", "Duration of the last refresh on this node.", node, m.refresh_ms);
  emit(out, "refresh_success_total", "counter", "Refreshes published by this node.", node, d(m.refresh_ok));
  emit(out, "refresh_failure_total", "counter", "Refreshes that failed on this node.", node, d(m.refresh_failed));
  emit(out, "moved_streams", "gauge", "Streams moved by the last refresh.", node, d(m.moved_streams));
  emit(out, "moved_load_fraction", "gauge", "Fraction of the load moved by the last refresh.", node, m.moved_load_fraction);
  emit(out, "lookups_unknown_total", "counter", "Lookups answered by placing a new stream.", node, d(m.lookups_unknown));
  emit(out, "snapshots_rejected_total", "counter", "Published snapshots that failed to decode.", node, d(m.snapshots_rejected));
  emit(out, "intake_rejected_total", "counter", "Intake batches that failed to parse.", node, d(m.intake_rejected));
  emit(out, "rules_reloads_total", "counter", "Changed rule files brought into force.", node, d(m.rules_reloads));
  emit(out, "rules_refused_total", "counter", "Changed rule files refused (the rules in force stayed).", node, d(m.rules_refused));
  emit(out, "rules_problems", "gauge", "Problems in the last evaluation of the rules.", node, d(m.rules.problem_count));
  emit(out, "rules_kept_owner_streams", "gauge", "Streams held on their owner because a rule failed or allowed no server.", node,
       d(m.rules.kept_owner));
  emit(out, "rules_constrained_streams", "gauge", "Streams the rules constrain.", node, d(m.rules.constrained_streams));
  emit(out, "rules_violations", "gauge", "Constrained streams placed outside their allowed servers.", node, d(m.rules.violations));
  emit(out, "rules_evaluation_ms", "gauge", "Duration of the last evaluation of the rules.", node, m.rules.eval_ms);
  const HandoffFigures& h = m.handoffs;
  emit(out, "handoffs_started_total", "counter", "Holders asked to release a stream (counted by the leader).", node,
       d(h.started_total));
  emit(out, "handoffs_completed_total", "counter", "Hand-offs whose stream was granted to its new owner.", node,
       d(h.completed_total));
  emit(out, "handoffs_stalled_total", "counter", "Hand-offs that waited longer than ownership.stall_after.", node,
       d(h.stalled_total));
  emit(out, "streams_releasing", "gauge", "Streams whose holder is asked to release them.", node, d(h.releasing));
  emit(out, "streams_stalled", "gauge", "Streams whose hand-off waits longer than ownership.stall_after.", node,
       d(h.stalled));
  emit(out, "streams_unheld", "gauge", "Streams no server holds.", node, d(h.unheld));
  emit(out, "unheld_stream_seconds_total", "counter", "Sum over time of the streams no server held.", node,
       h.unheld_stream_seconds);
  emit(out, "leases_lost_total", "counter", "Times this node's lease ended, and every claim of its servers.", node,
       d(m.leases_lost));
  emit(out, "streams_held", "gauge", "Streams held by the servers joined through this node.", node, d(m.streams_held));
  fmt::format_to(std::back_inserter(out),
                 "# HELP berth_handoff_duration_seconds From a holder asked to release to the new owner's grant.\n"
                 "# TYPE berth_handoff_duration_seconds histogram\n");
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kHandoffBuckets.size(); ++b) {
    cumulative += h.duration_counts[b];
    std::string le = b < kHandoffBuckets.size() ? fmt::format("{}", kHandoffBuckets[b]) : "+Inf";
    fmt::format_to(std::back_inserter(out), "berth_handoff_duration_seconds_bucket{{node=\"{}\",le=\"{}\"}} {}\n", node,
                   le, cumulative);
  }
  fmt::format_to(std::back_inserter(out), "berth_handoff_duration_seconds_sum{{node=\"{}\"}} {}\n", node,
                 h.duration_sum_seconds);
  fmt::format_to(std::back_inserter(out), "berth_handoff_duration_seconds_count{{node=\"{}\"}} {}\n", node, cumulative);
  return out;
}

}  // namespace berth
