#include "cli/bench_migrations.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "cli/bench_support.h"
#include "config/options.h"
#include "engine/engine.h"
#include "snapshot/catalogue_entries.h"

namespace berth::cli {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Notes when each node first serves each version, polling both every 100 us.
class VersionClock {
 public:
  VersionClock(Engine& leader, Engine& follower) : leader_(leader), follower_(follower) {
    thread_ = std::thread([this] {
      while (!stop_) {
        auto now = Clock::now();
        uint64_t l = leader_.status().version, f = follower_.status().version;
        {
          std::lock_guard lock(mutex_);
          leader_at_.try_emplace(l, now);
          follower_at_.try_emplace(f, now);
        }
        std::this_thread::sleep_for(100us);
      }
    });
  }
  ~VersionClock() {
    stop_ = true;
    thread_.join();
  }
  // Follower lag of every version both served after `from`, in ms; versions the follower skipped
  // count from the leader's version to the first newer one the follower served.
  std::vector<double> lags(uint64_t from) {
    std::lock_guard lock(mutex_);
    std::vector<double> out;
    for (const auto& [v, at] : leader_at_) {
      if (v <= from) continue;
      auto it = follower_at_.lower_bound(v);
      if (it == follower_at_.end()) continue;
      out.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
    }
    return out;
  }

 private:
  Engine& leader_;
  Engine& follower_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<uint64_t, Clock::time_point> leader_at_, follower_at_;
  std::thread thread_;
};

template <class Pred>
void wait_for(Pred pred, std::chrono::seconds timeout, const std::string& what) {
  auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) throw Error(BERTH_E_TIMEOUT, fmt::format("bench --migrations: {} within {} s", what, timeout.count()));
    std::this_thread::sleep_for(1ms);
  }
}

size_t migrating(const Engine& e) {
  auto s = e.snapshot();
  return s && s->catalogue ? s->catalogue->migrations.size() : 0;
}

}  // namespace

int run_migration_bench(const MigrationBenchOptions& o) {
  if (o.streams < 10 || o.migrations == 0 || o.migrations > o.streams || o.rounds == 0)
    throw Error(BERTH_E_INVALID_ARGUMENT, "--streams must be at least 10, --migrations between 1 and --streams, --rounds >= 1");
  Options base = bench_backend(o.zk, "bench-migrations");
  base.set("policy.name", "sticky", "bench");
  base.set("engine.refresh_interval", "1h", "bench");
  base.set("engine.refresh_on_change", "false", "bench");
  base.set("engine.intake_flush", "1ms", "bench");
  base.set("catalogue.migration_interval", "0", "bench");
  base.set("catalogue.max_migrations", std::to_string(std::max<uint32_t>(o.migrations, 1)), "bench");
  base.set("catalogue.max_migrations_per_server", std::to_string(std::max<uint32_t>(o.migrations, 1)), "bench");
  Options lo = base, fo = base;
  lo.set("engine.node_id", "bench-leader", "bench");
  fo.set("engine.node_id", "bench-follower", "bench");
  fo.set("engine.campaign", "false", "bench");
  Engine leader(lo.resolve_for_open());
  Engine follower(fo.resolve_for_open());
  constexpr int kServers = 10;
  for (int j = 0; j < kServers; ++j) leader.join(fmt::format("server-{}", j), 1.0);
  for (uint64_t i = 0; i < o.streams; ++i) leader.add_stream(fmt::format("stream-{}", i), "", 1.0);
  leader.flush();
  wait_for([&] { return leader.status().streams == o.streams && leader.status().servers == kServers; }, 300s,
           "the leader did not serve every stream");
  wait_for([&] { return follower.status().version >= leader.status().version; }, 120s, "the follower did not catch up");

  // A refresh that changes nothing, before any migration: what a version costs here anyway.
  leader.refresh();
  const double baseline_ms = leader.metrics().refresh_ms;
  wait_for([&] { return follower.status().version >= leader.status().version; }, 120s, "the follower did not catch up");

  VersionClock clock(leader, follower);
  const uint64_t step = o.streams / o.migrations;
  std::vector<double> refresh_ms;
  uint64_t from = leader.status().version;
  // The counters are updated once the version is served: wait for them too.
  auto timed_version = [&](uint64_t refreshes, const std::function<bool()>& shown, const std::string& what) {
    wait_for([&] { return shown() && leader.metrics().refresh_ok > refreshes; }, 120s, what);
    refresh_ms.push_back(leader.metrics().refresh_ms);
    wait_for([&] { return follower.status().version >= leader.status().version; }, 120s, "the follower did not catch up");
  };
  for (uint32_t round = 0; round < o.rounds; ++round) {
    uint64_t refreshes = leader.metrics().refresh_ok;
    std::vector<std::pair<std::string, std::string>> moves;  // stream, destination
    for (uint32_t k = 0; k < o.migrations; ++k) {
      std::string stream = fmt::format("stream-{}", k * step + round);
      std::string owner = leader.locate(stream).owner;
      std::string dest = fmt::format("server-{}", (owner.back() - '0' + 1 + round) % kServers);
      if (dest == owner) dest = fmt::format("server-{}", (owner.back() - '0' + 1) % kServers);
      leader.migrate(stream, dest);
      moves.emplace_back(std::move(stream), std::move(dest));
    }
    leader.flush();
    timed_version(refreshes, [&] { return migrating(leader) == o.migrations; }, "the migrations did not start");
    refreshes = leader.metrics().refresh_ok;
    for (const auto& [stream, dest] : moves) leader.migration_done(stream, dest, true);
    leader.flush();
    timed_version(refreshes, [&] { return migrating(leader) == 0; }, "the copies were not reported done");
  }
  std::vector<double> lag = clock.lags(from);
  nlohmann::json j = {{"backend", o.zk.empty() ? "memory" : "zookeeper"},
                      {"streams", o.streams},
                      {"migrations", o.migrations},
                      {"rounds", o.rounds},
                      {"versions", lag.size()},
                      {"baseline_refresh_ms", baseline_ms},
                      {"refresh_publish_ms", refresh_ms},
                      {"refresh_publish_ms_p50", percentile(refresh_ms, 0.5)},
                      {"refresh_publish_ms_max", percentile(refresh_ms, 1.0)},
                      {"follower_lag_ms_p50", percentile(lag, 0.5)},
                      {"follower_lag_ms_p99", percentile(lag, 0.99)},
                      {"follower_lag_ms_max", percentile(lag, 1.0)}};
  if (o.json) {
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << fmt::format(
        "berth bench --migrations: {} streams on {} servers on {}, {} rounds of {} migrations started then done\n"
        "  leader refresh + publication per version: median {:.1f} ms, max {:.1f} ms (a refresh changing nothing: {:.1f} ms)\n"
        "  leader serves a version -> follower serves it: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms ({} versions)\n",
        o.streams, kServers, o.zk.empty() ? "memory" : "zookeeper", o.rounds, o.migrations, percentile(refresh_ms, 0.5),
        percentile(refresh_ms, 1.0), baseline_ms, percentile(lag, 0.5), percentile(lag, 0.99), percentile(lag, 1.0), lag.size());
  }
  return 0;
}

}  // namespace berth::cli
