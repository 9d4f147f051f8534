#include "engine/metrics_families.h"

#include <algorithm>
#include <numeric>
#include <vector>

#ifndef BERTH_VERSION
#error "BERTH_VERSION must name the project version"
#endif

namespace berth::metrics {

void add_build_info(Exposition& out) {
  out.gauge("berth_build_info", "The Berth library serving these metrics (always 1).", {{"version", BERTH_VERSION}}, 1);
}

namespace {

void add_servers(Exposition& out, const Snapshot& s, const std::string& node, size_t cap) {
  const uint32_t n = s.server_count();
  if (s.server_load.size() != n || s.server_streams.size() != n || s.server_name.size() != n) return;
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  auto per_capacity = [&](uint32_t i) {
    double c = s.servers->capacity[i];
    return c > 0 ? s.server_load[i] / c : s.server_load[i];
  };
  if (n > cap) {
    // The busiest first: those are the series a balance dashboard needs.
    std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(cap), order.end(),
                      [&](uint32_t a, uint32_t b) { return per_capacity(a) > per_capacity(b); });
    order.resize(cap);
    std::sort(order.begin(), order.end());
  }
  for (uint32_t i : order) {
    Labels l{{"node", node}, {"server", s.server_name[i]}};
    out.gauge("berth_server_load", "Appraised load of the streams a server owns in the served snapshot.", l,
              s.server_load[i]);
    out.gauge("berth_server_streams", "Streams a server owns in the served snapshot.", l,
              static_cast<double>(s.server_streams[i]));
    out.gauge("berth_server_capacity", "Capacity of a server in the served snapshot.", l, s.servers->capacity[i]);
  }
  out.gauge("berth_server_series_omitted", "Servers left out of the per-server series (past the cap, least loaded first).",
            {{"node", node}}, static_cast<double>(n - order.size()));
}

}  // namespace

void add_engine(Exposition& out, const EngineMetrics& m, const Snapshot* served, const std::string& node,
                size_t server_cap) {
  const Labels l{{"node", node}};
  auto d = [](auto v) { return static_cast<double>(v); };
  auto gauge = [&](const char* name, const char* help, double v) { out.gauge(name, help, l, v); };
  auto counter = [&](const char* name, const char* help, double v) { out.counter(name, help, l, v); };
  gauge("berth_snapshot_version", "Version of the snapshot this node serves.", d(m.version));
  gauge("berth_leader_epoch", "Leadership epoch this node last saw.", d(m.epoch));
  gauge("berth_is_leader", "1 when this node leads.", m.is_leader ? 1 : 0);
  gauge("berth_degraded", "1 while the backend is unreachable and the last snapshot is served.", m.degraded ? 1 : 0);
  gauge("berth_servers", "Servers in the served snapshot.", d(m.servers));
  gauge("berth_streams", "Streams in the served snapshot.", d(m.streams));
  gauge("berth_load", "Total appraised load in the served snapshot.", m.total_load);
  gauge("berth_server_load_max", "Highest server load per unit of capacity.", m.max_load);
  gauge("berth_server_load_min", "Lowest server load per unit of capacity.", m.min_load);
  gauge("berth_server_load_spread", "Highest minus lowest server load per unit of capacity.", m.max_load - m.min_load);
  gauge("berth_load_lower_bound", "Lower bound for the highest server load per unit of capacity.", m.lower_bound);
  gauge("berth_max_over_lower_bound", "Highest server load over its lower bound (1 is perfect).", m.max_over_lb);
  gauge("berth_oversized_streams", "Streams whose load alone exceeds a fair share.", d(m.oversized_streams));
  out.histogram("berth_refresh_duration_seconds", "Duration of the full refreshes this node ran as leader.", l,
                m.refresh_seconds);
  out.histogram("berth_publication_duration_seconds", "Time to write a version to the backend, failed writes included.", l,
                m.publication_seconds);
  gauge("berth_last_refresh_duration_seconds", "Duration of the last full refresh on this node.", m.refresh_ms / 1000);
  counter("berth_refresh_success_total", "Full refreshes published by this node.", d(m.refresh_ok));
  counter("berth_refresh_failure_total", "Full refreshes that failed on this node.", d(m.refresh_failed));
  counter("berth_moved_streams_total", "Streams whose owner changed, over the refreshes this node published.",
          d(m.moved_streams_total));
  counter("berth_moved_load_total", "Appraised load of the streams moved, over the refreshes this node published.",
          m.moved_load_total);
  counter("berth_new_streams_total", "Streams added by the refreshes this node published.", d(m.new_streams_total));
  gauge("berth_last_refresh_moved_streams", "Streams moved by the last refresh this node published.", d(m.moved_streams));
  gauge("berth_last_refresh_moved_load_fraction", "Fraction of the load moved by the last refresh this node published.",
        m.moved_load_fraction);
  counter("berth_lookups_unknown_total", "Lookups answered by placing a stream not in the snapshot.",
          d(m.lookups_unknown));
  counter("berth_snapshots_rejected_total", "Published snapshots that failed to decode.", d(m.snapshots_rejected));
  counter("berth_intake_rejected_total", "Intake batches that failed to parse, and catalogue records refused.",
          d(m.intake_rejected));
  counter("berth_rules_reloads_total", "Changed rule files brought into force.", d(m.rules_reloads));
  counter("berth_rules_refused_total", "Changed rule files refused (the rules in force stayed).", d(m.rules_refused));
  gauge("berth_rules_problems", "Problems in the last evaluation of the rules.", d(m.rules.problem_count));
  gauge("berth_rules_kept_owner_streams", "Streams held on their owner because a rule failed or allowed no server.",
        d(m.rules.kept_owner));
  gauge("berth_rules_constrained_streams", "Streams the rules constrain.", d(m.rules.constrained_streams));
  gauge("berth_rules_violations", "Constrained streams placed outside their allowed servers.", d(m.rules.violations));
  gauge("berth_rules_evaluation_seconds", "Duration of the last evaluation of the rules.", m.rules.eval_ms / 1000);
  const HandoffFigures& h = m.handoffs;
  counter("berth_handoffs_started_total", "Holders asked to release a stream (counted by the leader).",
          d(h.started_total));
  counter("berth_handoffs_completed_total", "Hand-offs whose stream was granted to its new owner.",
          d(h.completed_total));
  counter("berth_handoffs_stalled_total", "Hand-offs that waited longer than ownership.stall_after.",
          d(h.stalled_total));
  gauge("berth_streams_releasing", "Streams whose holder is asked to release them.", d(h.releasing));
  gauge("berth_streams_stalled", "Streams whose hand-off waits longer than ownership.stall_after.", d(h.stalled));
  gauge("berth_streams_unheld", "Streams no server holds.", d(h.unheld));
  gauge("berth_streams_lapsing", "Streams of vanished holders granted to nobody until the vanish wait ends.",
        d(h.lapsing));
  counter("berth_unheld_stream_seconds_total", "Sum over time of the streams no server held.",
          h.unheld_stream_seconds);
  counter("berth_leases_lost_total", "Times this node's lease ended, and every claim of its servers.",
          d(m.leases_lost));
  gauge("berth_streams_held", "Streams held by the servers joined through this node.", d(m.streams_held));
  out.histogram("berth_handoff_duration_seconds", "From a holder asked to release to the new owner's grant.", l,
                kHandoffBuckets, h.duration_counts, h.duration_sum_seconds);
  if (served != nullptr && served->servers) add_servers(out, *served, node, server_cap);
}

}  // namespace berth::metrics
