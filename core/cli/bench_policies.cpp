#include "cli/bench_policies.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/refresh.h"
#include "plugin/loader.h"
#include "engine/snapshot_policies.h"
#include "snapshot/codec.h"
#include "tools/median.h"
#include "tools/workload.h"

namespace berth::cli {
namespace {

using Clock = std::chrono::steady_clock;

double fraction(uint64_t part, uint64_t whole) { return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0; }

struct Row {
  std::string policy, workload;
  double max_over_lb = 0;
  double moved_streams_join = 0, moved_load_join = 0;
  double moved_streams_leave = 0;
  double moved_streams_drift = 0, max_over_lb_after_drift = 0;
  double refresh_ms = 0;
  double state_bytes_per_stream = 0;     // the assignment's share of the published snapshot
  double snapshot_bytes_per_stream = 0;  // the whole published snapshot (ids, tenants, loads too)
  double owners_stored = 1;              // share of streams whose owner the snapshot spells out
  double encode_ms = 0, decode_ms = 0;   // the full snapshot, to bytes and back (owners rebuilt)
};

template <class Body>
double median_ms(uint32_t repetitions, Body&& body) {
  std::vector<double> times;
  for (uint32_t r = 0; r < std::max<uint32_t>(1, repetitions); ++r) {
    auto start = Clock::now();
    body();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return tools::median(std::move(times));
}

std::shared_ptr<const ServerColumns> make_servers(const std::vector<std::string>& ids) {
  auto servers = std::make_shared<ServerColumns>();
  for (const std::string& id : ids) {
    servers->ids.push_back(id);
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
  }
  return servers;
}

// The streams of `w` as a host would announce them (added, with their measured load).
PendingChanges announce(const Workload& w, IntakeOp op) {
  PendingChanges pending;
  for (size_t i = 0; i < w.stream_ids.size(); ++i) pending.apply(IntakeRecord{op, w.stream_ids[i], "", w.loads[i]});
  return pending;
}

Row measure(const std::string& policy_name, const std::string& workload_name, const PolicyBenchOptions& o,
            PluginRegistry& registry) {
  auto names = std::make_shared<ServerNames>();
  Appraiser appraiser(registry.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
  auto policy_owner = std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, policy_name), PluginConfig("policy", {}));
  const Policy& policy = *policy_owner;
  Workload w = make_workload(o.streams, parse_distribution(workload_name), 17);
  std::vector<std::string> ids = make_server_ids(o.servers + 1);
  std::vector<std::string> present(ids.begin(), ids.begin() + o.servers);
  auto servers = make_servers(present);
  Provenance meta;
  Row row{policy_name, workload_name};

  RefreshResult first = compute_refresh(nullptr, servers, announce(w, IntakeOp::add), appraiser, policy, meta, names);
  const Snapshot& base = *first.snapshot;
  row.max_over_lb = base.balance.max_over_lb;
  const std::optional<OwnerDefaults> defaults = owner_defaults(policy_owner);
  const OwnerDefaults* own = defaults ? &*defaults : nullptr;
  row.state_bytes_per_stream = static_cast<double>(assignment_bytes(base, own)) / static_cast<double>(o.streams);
  row.snapshot_bytes_per_stream = static_cast<double>(encode_snapshot(base, own).size()) / static_cast<double>(o.streams);
  std::string bytes;
  uint64_t stored = 0;
  row.encode_ms = median_ms(o.repetitions, [&] { bytes = encode_snapshot(base, own, &stored); });
  row.owners_stored = fraction(stored, base.stream_count());
  SnapshotPolicies readers(registry, policy_owner);
  row.decode_ms = median_ms(o.repetitions, [&] {
    if (decode_snapshot(bytes, readers.finder()).owner != base.owner)
      throw Error(BERTH_E_INTERNAL, "policy '" + policy_name + "': the snapshot read back has other owners");
  });

  PendingChanges nothing;
  row.refresh_ms = median_ms(o.repetitions, [&] { compute_refresh(&base, servers, nothing, appraiser, policy, meta, names); });

  std::vector<std::string> joined = present;
  joined.push_back(ids[o.servers]);
  RefreshResult join = compute_refresh(&base, make_servers(joined), nothing, appraiser, policy, meta, names);
  row.moved_streams_join = fraction(join.moved_streams, o.streams);
  row.moved_load_join = join.moved_load_fraction;

  std::vector<std::string> left = present;
  left.erase(left.begin() + static_cast<long>(o.servers / 2));
  RefreshResult leave = compute_refresh(&base, make_servers(left), nothing, appraiser, policy, meta, names);
  row.moved_streams_leave = fraction(leave.moved_streams, o.streams);

  Workload drifted = w;
  drift_loads(drifted.loads, o.drift, 23);
  RefreshResult drift = compute_refresh(&base, servers, announce(drifted, IntakeOp::report), appraiser, policy, meta, names);
  row.moved_streams_drift = fraction(drift.moved_streams, o.streams);
  row.max_over_lb_after_drift = drift.snapshot->balance.max_over_lb;
  return row;
}

}  // namespace

int run_policy_bench(const PolicyBenchOptions& o) {
  if (o.servers < 2 || o.streams == 0) throw Error(BERTH_E_INVALID_ARGUMENT, "--policies needs at least 2 servers and 1 stream");
  PluginRegistry registry;
  std::vector<Row> rows;
  for (const std::string& workload : o.workloads) {
    parse_distribution(workload);  // a bad name fails before any work
    for (const std::string& policy : o.policies) {
      try {
        rows.push_back(measure(policy, workload, o, registry));
      } catch (const Error& e) {
        if (e.code() != BERTH_E_NOT_FOUND) throw;
        std::cerr << "berth bench: skipping policy " << policy << ": " << e.what() << "\n";
        continue;
      }
      const Row& r = rows.back();
      if (o.json) {
        nlohmann::json j = {{"policy", r.policy},
                            {"workload", r.workload},
                            {"streams", o.streams},
                            {"servers", o.servers},
                            {"max_over_lb", r.max_over_lb},
                            {"moved_streams_join", r.moved_streams_join},
                            {"moved_load_join", r.moved_load_join},
                            {"moved_streams_leave", r.moved_streams_leave},
                            {"moved_streams_drift", r.moved_streams_drift},
                            {"max_over_lb_after_drift", r.max_over_lb_after_drift},
                            {"refresh_ms", r.refresh_ms},
                            {"state_bytes_per_stream", r.state_bytes_per_stream},
                            {"snapshot_bytes_per_stream", r.snapshot_bytes_per_stream},
                            {"owners_stored", r.owners_stored},
                            {"encode_ms", r.encode_ms},
                            {"decode_ms", r.decode_ms}};
        std::cout << j.dump() << std::endl;
      }
    }
  }
  if (!o.json) {
    double fair = 1.0 / (o.servers + 1);
    std::cout << fmt::format("berth bench --policies: {} streams x {} servers; a join's fair share is {:.4f}%, a leaving "
                             "server holds about {:.4f}% of the streams\n\n",
                             o.streams, o.servers, 100 * fair, 100.0 / o.servers)
              << fmt::format("{:<11} {:<10} {:>8} {:>11} {:>11} {:>12} {:>12} {:>12} {:>10} {:>9} {:>9} {:>8} {:>7} {:>7}\n", "policy",
                             "workload", "max/LB", "join:moved", "join:load", "leave:moved", "drift:moved", "drift:max/LB",
                             "refresh_ms", "state B/s", "snap B/s", "stored", "enc_ms", "dec_ms");
    for (const Row& r : rows)
      std::cout << fmt::format("{:<11} {:<10} {:>8.4f} {:>10.3f}% {:>10.3f}% {:>11.3f}% {:>11.3f}% {:>12.4f} {:>10.1f} {:>9.3f} "
                               "{:>9.1f} {:>7.2f}% {:>7.1f} {:>7.1f}\n",
                               r.policy, r.workload, r.max_over_lb, 100 * r.moved_streams_join, 100 * r.moved_load_join,
                               100 * r.moved_streams_leave, 100 * r.moved_streams_drift, r.max_over_lb_after_drift,
                               r.refresh_ms, r.state_bytes_per_stream, r.snapshot_bytes_per_stream, 100 * r.owners_stored,
                               r.encode_ms, r.decode_ms);
    std::cout << "\nstate B/s: bytes per stream the assignment adds to the published snapshot (owners, or for a policy\n"
                 "with default owners only the streams off them); snap B/s: the whole snapshot, ids, tenants and loads\n"
                 "included; stored: streams whose owner the snapshot spells out; enc_ms/dec_ms: the full snapshot\n"
                 "to bytes, and back with its owners rebuilt.\n";
  }
  return 0;
}

}  // namespace berth::cli
