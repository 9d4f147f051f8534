#include "cli/bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "cli/bench_delta.h"
#include "cli/bench_limits.h"
#include "cli/bench_memory.h"
#include "cli/exit_codes.h"
#include "config/options.h"
#include "engine/engine.h"
#include "plugin/instances.h"
#include "engine/snapshot_policies.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "tools/median.h"
#include "tools/workload.h"

namespace berth::cli {
namespace {

using Clock = std::chrono::steady_clock;
using tools::median;

// What publishing through a real ZooKeeper ensemble costs (berth bench --zk).
struct ZkFigures {
  double publish_ms = 0;        // the leader's publish() of the whole snapshot, chunks and flip
  double follower_swap_ms = 0;  // publish() returned -> a follower engine serves that version
  double delta_publish_ms = 0;  // the leader's publish of a delta after a 1% move (on the last full one)
  double delta_swap_ms = 0;     // ...until the follower serves it
  double snapshot_bytes_per_stream = 0;
  double avg_stream_id_bytes = 0;
};

// The snapshot the bench built, published `repetitions` times (as versions 1, 2, ...) by a leader
// instance of the zookeeper backend, and swapped in by a follower engine on the same root: the
// follower's watch fires, it fetches the chunks, decodes, builds its lookup table and swaps.
ZkFigures measure_zk(const BenchOptions& o, const Engine& engine) {
  std::shared_ptr<const Snapshot> current = engine.snapshot();
  if (!current) throw Error(BERTH_E_STATE, "bench --zk: no snapshot to publish");
  const std::string root = fmt::format("/berth-bench-{}", getpid());
  PluginRegistry registry;
  // A long session: a loaded server writing megabytes of chunks may pause longer than the
  // default's read timeout (2/3 of it), and a lost connection would fail the whole bench.
  const std::string session = "10s";
  Backend leader(registry.load(BERTH_PLUGIN_BACKEND, "zookeeper"),
                 PluginConfig("backend", {{"connect", o.zk, "--zk"}, {"root", root, "--zk"}, {"session_timeout", session, "--zk"}}),
                 nullptr);
  leader.campaign();
  for (auto deadline = Clock::now() + std::chrono::seconds(20); leader.leadership().is_leader != 1;) {
    if (Clock::now() > deadline) throw Error(BERTH_E_TIMEOUT, "bench --zk: the publisher did not come to lead within 20 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const uint64_t epoch = leader.leadership().epoch;

  Options follower_options;
  follower_options.set("backend.name", "zookeeper");
  follower_options.set("backend.connect", o.zk, "--zk");
  follower_options.set("backend.root", root);
  follower_options.set("backend.session_timeout", session);
  follower_options.set("policy.name", o.policy);
  follower_options.set("engine.node_id", "bench-follower");
  follower_options.set("engine.campaign", "false");
  Engine follower(follower_options.resolve_for_open());

  Snapshot copy;  // the published columns only: encoding needs nothing derived
  copy.meta = current->meta;
  copy.servers = current->servers;
  copy.streams = current->streams;
  copy.load = current->load;
  copy.owner = current->owner;
  copy.holder = current->holder;
  copy.token = current->token;
  copy.meta.epoch = epoch;
  // Encoded as the engine's leader encodes it: with the policy's default owners, if it has them.
  std::optional<OwnerDefaults> defaults;
  try {
    defaults = owner_defaults(
        std::make_shared<const Policy>(registry.load(BERTH_PLUGIN_POLICY, o.policy), PluginConfig("policy", {})));
  } catch (const Error&) {
    // A policy that needs configuration to load: every owner is written, as it would be for it.
  }
  std::vector<double> publish_ms, swap_ms;
  size_t bytes_size = 0;
  for (uint32_t r = 1; r <= std::max<uint32_t>(1, o.repetitions); ++r) {
    copy.meta.version = r;
    std::string bytes = encode_snapshot(copy, defaults ? &*defaults : nullptr);
    bytes_size = bytes.size();
    auto start = Clock::now();
    leader.publish(epoch, r, bytes);
    auto published = Clock::now();
    follower.wait_version(r, std::chrono::seconds(60));
    auto swapped = Clock::now();
    publish_ms.push_back(std::chrono::duration<double, std::milli>(published - start).count());
    swap_ms.push_back(std::chrono::duration<double, std::milli>(swapped - published).count());
  }
  // Then deltas: each time 1% of the streams move on top of the last full version, published
  // as a delta based on it, as the engine's leader does after a small refresh.
  const uint64_t checkpoint = copy.meta.version;
  std::vector<double> delta_publish_ms, delta_swap_ms;
  if (leader.supports_deltas() && current->stream_count() > 0 && current->server_count() >= 2) {
    copy.names = current->names;
    finish_snapshot(copy, nullptr, current->names ? current->names : std::make_shared<ServerNames>(), current.get());
    for (uint32_t r = 1; r <= std::max<uint32_t>(1, o.repetitions); ++r) {
      Snapshot next = moved_1pct(copy);
      next.meta.version = checkpoint + r;
      std::optional<std::string> delta = encode_delta(copy, next, bytes_size);
      if (!delta) throw Error(BERTH_E_INTERNAL, "bench --zk: a 1% move did not fit in a delta");
      auto start = Clock::now();
      leader.publish_based(epoch, next.meta.version, checkpoint, *delta);
      auto published = Clock::now();
      follower.wait_version(next.meta.version, std::chrono::seconds(60));
      delta_publish_ms.push_back(std::chrono::duration<double, std::milli>(published - start).count());
      delta_swap_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - published).count());
    }
  }
  const double n = static_cast<double>(std::max<uint64_t>(1, current->stream_count()));
  return ZkFigures{median(publish_ms), median(swap_ms), median(delta_publish_ms), median(delta_swap_ms),
                   static_cast<double>(bytes_size) / n, static_cast<double>(current->streams->ids.arena.size()) / n};
}

}  // namespace

int run_bench(const BenchOptions& o) {
  Workload workload = make_workload(o.streams, parse_distribution(o.dist), 7);
  std::vector<std::string> servers = make_server_ids(o.servers);
  // The keys a host asks for, in random order relative to the table (no sequential scan of it),
  // packed back to back the way requests arrive in a buffer: the table is cold, the key is not.
  std::vector<uint64_t> order(workload.stream_ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(11));
  std::string key_bytes;
  std::vector<std::string_view> keys;
  for (uint64_t i : order) key_bytes += workload.stream_ids[i];
  for (uint64_t i = 0, at = 0; i < order.size(); at += workload.stream_ids[order[i]].size(), ++i)
    keys.emplace_back(key_bytes.data() + at, workload.stream_ids[order[i]].size());

  const uint64_t rss_before = trimmed_resident_bytes();

  Options options;
  options.set("backend.cluster", fmt::format("bench-{}", getpid()));
  options.set("policy.name", o.policy);
  options.set("appraiser.name", "reported");
  options.set("engine.node_id", "bench");
  options.set("engine.refresh_on_change", "false");
  options.set("engine.refresh_interval", "1h");
  options.set("engine.intake_refresh_delay", "0");  // the bench decides when the leader refreshes
  if (o.keep_freed_memory) options.set("engine.return_freed_memory", "false");
  Engine engine(options.resolve_for_open());
  for (const std::string& s : servers) engine.join(s, 1.0);
  for (uint64_t i = 0; i < o.streams; ++i) engine.add_stream(workload.stream_ids[i], "", workload.loads[i]);
  engine.flush();
  while (!engine.status().is_leader) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  engine.refresh();  // first placement of every stream

  // Steady-state full refreshes (least_load recomputes everything every time).
  std::vector<double> refresh_ms;
  for (uint32_t r = 0; r < o.repetitions; ++r) {
    engine.refresh();
    refresh_ms.push_back(engine.metrics().refresh_ms);
  }

  const MemoryFigures leader_memory = engine_memory(engine, resident_growth_since(rss_before), true);

  size_t sink = 0;
  // Lookups per second over `set`, one call per stream (or `batch` streams per call).
  auto measure = [&](const std::vector<std::string_view>& set, size_t batch) {
    std::vector<double> rates;
    std::vector<const char*> owners(batch);
    for (uint32_t r = 0; r < o.repetitions; ++r) {
      uint64_t done = 0;
      auto start = Clock::now();
      auto until = start + std::chrono::duration<double>(o.lookup_seconds);
      while (Clock::now() < until) {
        if (batch == 1) {
          for (std::string_view key : set) sink += reinterpret_cast<uintptr_t>(engine.lookup(key));
        } else {
          for (size_t i = 0; i + batch <= set.size(); i += batch) {
            engine.lookup_batch(set.data() + i, batch, owners.data());
            sink += reinterpret_cast<uintptr_t>(owners[0]);
          }
        }
        done += set.size() / batch * batch;
      }
      rates.push_back(static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count());
    }
    return median(rates);
  };
  // Uniform over every stream: the table is cold, each lookup a cache miss. The worst case.
  double uniform = measure(keys, 1);
  double batched = measure(keys, 256);
  // A host's working set: a proxy serves a small share of all streams, so its lookups repeat
  // over some thousands of them, inside the same million-stream snapshot.
  std::vector<std::string_view> hot(keys.begin(), keys.begin() + std::min<size_t>(keys.size(), 10000));
  double working_set = measure(hot, 1);

  // The machine's own limit over an array the lookup table's size, in this run: the lookup
  // figures are judged as a share of it, so a loaded or different machine still reads true.
  const std::shared_ptr<const Snapshot> served = engine.snapshot();
  MemoryLimit limit = measure_memory_limit(served->table->memory_bytes(), o.repetitions, o.lookup_seconds);
  const double single_vs_limit = uniform / limit.independent_per_s;
  const double batch_vs_limit = batched / limit.independent_per_s;
  SwapFigures swap = measure_swap(served, keys, o.repetitions, o.lookup_seconds);
  const double swap_ratio = swap.swapping_per_s / swap.quiet_per_s;

  std::optional<ZkFigures> zk;
  if (!o.zk.empty()) zk = measure_zk(o, engine);

  EngineMetrics m = engine.metrics();
  DeltaFigures delta = measure_delta_1pct(*engine.snapshot(), o.repetitions);  // 1% of the streams moved
  const MemoryFigures follower_memory = measure_follower(options, engine.snapshot()->meta.version);
  const InstallFigures installs = measure_delta_installs(*engine.snapshot(), o.delta_installs);
  double bytes_per_stream = static_cast<double>(leader_memory.resident) / static_cast<double>(std::max<uint64_t>(1, o.streams));
  if (o.json) {
    nlohmann::json j = {{"streams", o.streams},
                        {"servers", o.servers},
                        {"dist", o.dist},
                        {"policy", o.policy},
                        {"return_freed_memory", !o.keep_freed_memory},
                        {"lookups_per_s", uniform},
                        {"lookups_per_s_batch", batched},
                        {"lookups_per_s_working_set_10k", working_set},
                        {"memory_limit_bytes", limit.bytes},
                        {"memory_limit_independent_reads_per_s", limit.independent_per_s},
                        {"memory_limit_dependent_reads_per_s", limit.dependent_per_s},
                        {"lookups_vs_memory_limit", {{"single", single_vs_limit}, {"batch", batch_vs_limit}}},
                        {"swap_lookups_per_s_quiet", swap.quiet_per_s},
                        {"swap_lookups_per_s_swapping_10ms", swap.swapping_per_s},
                        {"swap_ratio", swap_ratio},
                        {"swap_installs", swap.swaps},
                        {"refresh_ms_1m_x_1000", median(refresh_ms)},
                        {"bytes_per_stream", bytes_per_stream},
                        {"max_over_lb", m.max_over_lb},
                        {"delta_bytes_fraction_1pct", delta.bytes_fraction},
                        {"delta_encode_ms_1pct", delta.encode_ms},
                        {"delta_apply_ms_1pct", delta.apply_ms},
                        {"memory_per_stream", memory_json(leader_memory, follower_memory, installs)},
                        {"repetitions", o.repetitions}};
    if (zk) {
      j["zk_publish_ms_1m"] = zk->publish_ms;  // named for the default 1M streams, like refresh_ms_1m_x_1000
      j["zk_follower_swap_ms"] = zk->follower_swap_ms;
      j["zk_delta_publish_ms"] = zk->delta_publish_ms;
      j["zk_delta_follower_swap_ms"] = zk->delta_swap_ms;
      j["snapshot_bytes_per_stream"] = zk->snapshot_bytes_per_stream;
      j["avg_stream_id_bytes"] = zk->avg_stream_id_bytes;
    }
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << fmt::format("berth bench: {} {} streams x {} servers, policy {}, medians of {} runs{}\n", o.streams,
                             o.dist, o.servers, o.policy, o.repetitions,
                             o.keep_freed_memory ? ", engines keep freed memory" : "")
              << fmt::format("  lookups, one thread, uniform over all streams: {:>12.0f} /s\n", uniform)
              << fmt::format("  the same through the batch call (256 a call):  {:>12.0f} /s\n", batched)
              << fmt::format("  one thread, a 10k-stream working set:          {:>12.0f} /s\n", working_set)
              << fmt::format("  memory limit over {:.1f} MB (the table's size): {:>10.0f} independent reads/s, {:.0f} dependent\n",
                             static_cast<double>(limit.bytes) / 1e6, limit.independent_per_s, limit.dependent_per_s)
              << fmt::format("  lookups_vs_memory_limit: single {:.3f}, batch {:.3f}\n", single_vs_limit, batch_vs_limit)
              << fmt::format("  under a writer swapping versions every 10 ms:  {:>12.0f} /s of {:.0f} quiet ({:.3f}, {} installs)\n",
                             swap.swapping_per_s, swap.quiet_per_s, swap_ratio, swap.swaps)
              << fmt::format("  full refresh:                                  {:>12.1f} ms\n", median(refresh_ms))
              << fmt::format("  resident memory per stream:                    {:>12.1f} bytes\n", bytes_per_stream)
              << fmt::format("  balance (max / lower bound):                   {:>12.5f}\n", m.max_over_lb)
              << (delta.full_bytes == 0  // nothing to move (one server)
                      ? std::string("  1% moved as a delta: n/a (needs a stream and two servers)\n")
                      : fmt::format("  1% moved as a delta: {} of {} bytes ({:.4f}), encode {:.1f} ms, apply {:.1f} ms\n",
                                    delta.delta_bytes, delta.full_bytes, delta.bytes_fraction, delta.encode_ms, delta.apply_ms))
              << memory_text(leader_memory, follower_memory, installs);
    if (zk)
      std::cout << fmt::format("  ZooKeeper ({}): publish of the snapshot:  {:>12.1f} ms\n", o.zk, zk->publish_ms)
                << fmt::format("  publish -> a follower serves it:               {:>12.1f} ms\n", zk->follower_swap_ms)
                << fmt::format("  publish of a delta after a 1% move:            {:>12.1f} ms\n", zk->delta_publish_ms)
                << fmt::format("  delta publish -> a follower serves it:         {:>12.1f} ms\n", zk->delta_swap_ms)
                << fmt::format("  encoded snapshot per stream:                   {:>12.1f} bytes (ids {:.1f})\n",
                               zk->snapshot_bytes_per_stream, zk->avg_stream_id_bytes);
  }
  return sink == 42 ? kExitFailure : kExitOk;  // keeps the lookups from being optimised away
}

}  // namespace berth::cli
