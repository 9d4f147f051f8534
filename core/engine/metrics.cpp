#include "engine/metrics.h"

#include <fmt/format.h>

#include "engine/metrics_families.h"


namespace berth {

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

void record_refresh(EngineCounters& c, double seconds, const RefreshResult* published) {
  c.refresh_ms = seconds * 1000;
  c.refresh_seconds.observe(seconds);
  if (published == nullptr) {
    ++c.refresh_failed;
    return;
  }
  ++c.refresh_ok;
  c.moved_streams = published->moved_streams;
  c.moved_load = published->moved_load;
  c.moved_load_fraction = published->moved_load_fraction;
  c.new_streams = published->new_streams;
  c.moved_streams_total += published->moved_streams;
  c.moved_load_total += published->moved_load;
  c.new_streams_total += published->new_streams;
}

std::string metrics_prometheus(const EngineMetrics& m, const std::string& node_id) {
  metrics::Exposition out;
  metrics::add_build_info(out);
  metrics::add_engine(out, m, nullptr, node_id);
  return out.text();
}

}  // namespace berth
