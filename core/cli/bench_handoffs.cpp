#include "cli/bench_handoffs.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/options.h"
#include "engine/engine.h"

namespace berth::cli {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One host: its engine, its server, and a thread acknowledging every release at once and timing
// acquires.
class Host {
 public:
  Host(Options options, std::string server) : server_(std::move(server)) {
    options.set("engine.node_id", "bench-" + server_, "bench");
    options.set("engine.campaign", "false", "bench");
    engine_ = std::make_unique<Engine>(options.resolve());
    engine_->join(server_, 1.0);
    claims_ = engine_->claims(server_);
    thread_ = std::thread([this] { serve(); });
  }
  ~Host() {
    stop_ = true;
    claims_->interrupt();
    thread_.join();
  }

  Engine& engine() { return *engine_; }
  size_t held() const { return claims_->held_count(); }
  // When this host acquired each stream last, and when it released each.
  std::unordered_map<std::string, Clock::time_point> acquired() {
    std::lock_guard lock(mutex_);
    return acquired_;
  }
  std::unordered_map<std::string, Clock::time_point> released() {
    std::lock_guard lock(mutex_);
    return released_;
  }

 private:
  void serve() {
    while (!stop_) {
      auto e = claims_->poll(Clock::now() + 50ms, stop_);
      if (!e) continue;
      if (e->kind == ownership::EventKind::acquire) {
        std::lock_guard lock(mutex_);
        acquired_[e->stream] = Clock::now();
      } else if (e->kind == ownership::EventKind::release) {
        // Recorded before the release returns: the drain counts as done once nothing is held,
        // and every release of it must be in the map by then.
        {
          std::lock_guard lock(mutex_);
          released_[e->stream] = Clock::now();
        }
        try {
          engine_->release(server_, e->stream, e->token);
        } catch (const Error&) {
          std::lock_guard lock(mutex_);  // revoked meanwhile: not a hand-off
          released_.erase(e->stream);
        }
      }
    }
  }

  std::string server_;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<ownership::ServerClaims> claims_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> acquired_, released_;
  std::thread thread_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int run_handoff_bench(const HandoffBenchOptions& o) {
  if (o.streams == 0 || o.rounds == 0) throw Error(BERTH_E_INVALID_ARGUMENT, "--streams and --rounds must be at least 1");
  Options base;
  if (o.zk.empty()) {
    base.set("backend.name", "memory", "bench");
    base.set("backend.cluster", fmt::format("bench-handoffs-{}", getpid()), "bench");
  } else {
    base.set("backend.name", "zookeeper", "--zk");
    base.set("backend.connect", o.zk, "--zk");
    base.set("backend.root", fmt::format("/berth-bench-handoffs-{}", getpid()), "--zk");
  }
  base.set("policy.name", "sticky", "bench");
  base.set("engine.refresh_interval", "1h", "bench");
  base.set("engine.refresh_on_change", "true", "bench");
  base.set("engine.intake_flush", "1ms", "bench");

  Options leader_options = base;
  leader_options.set("engine.node_id", "bench-leader", "bench");
  Engine leader(leader_options.resolve());
  Host a(base, "server-a");
  Host b(base, "server-b");
  Host* hosts[2] = {&a, &b};
  for (uint64_t i = 0; i < o.streams; ++i) leader.add_stream(fmt::format("stream-{}", i), "", 1.0);
  leader.flush();
  auto all_held = [&](Clock::duration timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (a.held() + b.held() == o.streams) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  };
  if (!all_held(120s)) throw Error(BERTH_E_TIMEOUT, "the first grants did not complete in 120 s");

  std::vector<double> move_ms, drain_ms;
  for (uint32_t round = 0; round < o.rounds; ++round) {
    Host& from = *hosts[round % 2];
    Host& to = *hosts[(round + 1) % 2];
    std::string from_server = round % 2 == 0 ? "server-a" : "server-b";
    std::string to_server = round % 2 == 0 ? "server-b" : "server-a";
    to.engine().drain(to_server, false);
    auto started = Clock::now();
    from.engine().drain(from_server, true);
    auto deadline = started + 120s;
    while (Clock::now() < deadline && !(from.held() == 0 && to.held() == o.streams)) std::this_thread::sleep_for(1ms);
    if (from.held() != 0 || to.held() != o.streams)
      throw Error(BERTH_E_TIMEOUT, fmt::format("round {}: the drain did not complete in 120 s ({} still held by {})", round,
                                               from.held(), from_server));
    drain_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    auto released = from.released();
    auto acquired = to.acquired();
    for (const auto& [stream, at] : released) {
      auto it = acquired.find(stream);
      if (it != acquired.end() && it->second >= at && at >= started)
        move_ms.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
    }
  }
  EngineMetrics m = leader.metrics();
  nlohmann::json j = {{"backend", o.zk.empty() ? "memory" : "zookeeper"},
                      {"streams", o.streams},
                      {"rounds", o.rounds},
                      {"moves", move_ms.size()},
                      {"release_to_acquire_ms_p50", percentile(move_ms, 0.5)},
                      {"release_to_acquire_ms_p99", percentile(move_ms, 0.99)},
                      {"release_to_acquire_ms_max", percentile(move_ms, 1.0)},
                      {"drain_ms_p50", percentile(drain_ms, 0.5)},
                      {"drain_ms_max", percentile(drain_ms, 1.0)},
                      {"handoffs_completed", m.handoffs.completed_total},
                      {"handoffs_stalled", m.handoffs.stalled_total},
                      {"unowned_stream_seconds", m.handoffs.unheld_stream_seconds}};
  if (o.json) {
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << fmt::format(
        "berth bench --handoffs: {} streams between two hosts on {}, {} drains\n"
        "  release acknowledged -> new owner acquires: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms ({} moves)\n"
        "  drain of every stream: median {:.1f} ms, max {:.1f} ms; hand-offs stalled: {}\n",
        o.streams, o.zk.empty() ? "memory" : "zookeeper", o.rounds, percentile(move_ms, 0.5), percentile(move_ms, 0.99),
        percentile(move_ms, 1.0), move_ms.size(), percentile(drain_ms, 0.5), percentile(drain_ms, 1.0),
        m.handoffs.stalled_total);
  }
  return 0;
}

}  // namespace berth::cli
