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
#include "cli/bench_support.h"
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
  Host(Options options, std::string server, double capacity = 1.0) : server_(std::move(server)) {
    options.set("engine.node_id", "bench-" + server_, "bench");
    options.set("engine.campaign", "false", "bench");
    engine_ = std::make_unique<Engine>(options.resolve_for_open());
    engine_->join(server_, capacity);
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

}  // namespace

int run_handoff_bench(const HandoffBenchOptions& o) {
  if (o.streams == 0 || o.rounds == 0) throw Error(BERTH_E_INVALID_ARGUMENT, "--streams and --rounds must be at least 1");
  Options base = bench_backend(o.zk, "bench-handoffs");
  base.set("policy.name", "sticky", "bench");
  base.set("engine.refresh_interval", "1h", "bench");
  base.set("engine.refresh_on_change", "true", "bench");
  base.set("engine.intake_flush", "1ms", "bench");

  Options leader_options = base;
  leader_options.set("engine.node_id", "bench-leader", "bench");
  Engine leader(leader_options.resolve_for_open());
  Host a(base, "server-a");
  Host b(base, "server-b");
  // The bystander: a server of the capacity of the background streams, so the two drained in
  // turn each hold about --streams of the whole.
  std::unique_ptr<Host> c;
  if (o.background > 0)
    c = std::make_unique<Host>(base, "server-c", static_cast<double>(o.background) / static_cast<double>(o.streams));
  std::vector<Host*> all = {&a, &b};
  if (c) all.push_back(c.get());
  const uint64_t total = 2 * o.streams + o.background;
  const uint64_t added = o.background > 0 ? total : o.streams;
  for (uint64_t i = 0; i < added; ++i) leader.add_stream(fmt::format("stream-{}", i), "", 1.0);
  leader.flush();
  auto held = [&] {
    size_t n = 0;
    for (Host* h : all) n += h->held();
    return n;
  };
  auto all_held = [&](Clock::duration timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (held() == added) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  };
  if (!all_held(300s)) throw Error(BERTH_E_TIMEOUT, "the first grants did not complete in 300 s");

  std::vector<double> move_ms, drain_ms;
  std::vector<size_t> drained_streams;
  for (uint32_t round = 0; round < o.rounds; ++round) {
    Host& from = round % 2 == 0 ? a : b;
    Host& other = round % 2 == 0 ? b : a;
    std::string from_server = round % 2 == 0 ? "server-a" : "server-b";
    std::string other_server = round % 2 == 0 ? "server-b" : "server-a";
    other.engine().drain(other_server, false);
    const size_t holding = from.held();
    auto started = Clock::now();
    from.engine().drain(from_server, true);
    auto deadline = started + 300s;
    while (Clock::now() < deadline && !(from.held() == 0 && held() == added)) std::this_thread::sleep_for(1ms);
    if (from.held() != 0 || held() != added)
      throw Error(BERTH_E_TIMEOUT, fmt::format("round {}: the drain did not complete in 300 s ({} still held by {})", round,
                                               from.held(), from_server));
    drain_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    drained_streams.push_back(holding);
    // Holding is counted when a node applies a version, an acquire when its host polls the event:
    // wait (briefly) until every stream released in this drain has its acquire recorded.
    auto released = from.released();
    std::vector<double> round_ms;
    for (auto settle = Clock::now() + 2s;;) {
      round_ms.clear();
      std::vector<std::unordered_map<std::string, Clock::time_point>> acquired;
      for (Host* h : all)
        if (h != &from) acquired.push_back(h->acquired());
      size_t expected = 0;
      for (const auto& [stream, at] : released) {
        if (at < started) continue;
        ++expected;
        for (const auto& by : acquired) {
          auto it = by.find(stream);
          if (it != by.end() && it->second >= at) {
            round_ms.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
            break;
          }
        }
      }
      if (round_ms.size() == expected || Clock::now() > settle) break;
      std::this_thread::sleep_for(1ms);
    }
    move_ms.insert(move_ms.end(), round_ms.begin(), round_ms.end());
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
                      {"drained_streams_p50", percentile(std::vector<double>(drained_streams.begin(), drained_streams.end()), 0.5)},
                      {"total_streams", added},
                      {"handoffs_completed", m.handoffs.completed_total},
                      {"handoffs_stalled", m.handoffs.stalled_total},
                      {"unowned_stream_seconds", m.handoffs.unheld_stream_seconds}};
  if (o.json) {
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << fmt::format(
        "berth bench --handoffs: {} streams on {} hosts on {}, {} drains of about {} streams each\n"
        "  release acknowledged -> new owner acquires: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms ({} moves)\n"
        "  drain until the drained host holds nothing: median {:.1f} ms, max {:.1f} ms; hand-offs stalled: {}\n",
        added, all.size(), o.zk.empty() ? "memory" : "zookeeper", o.rounds,
        percentile(std::vector<double>(drained_streams.begin(), drained_streams.end()), 0.5), percentile(move_ms, 0.5), percentile(move_ms, 0.99),
        percentile(move_ms, 1.0), move_ms.size(), percentile(drain_ms, 0.5), percentile(drain_ms, 1.0),
        m.handoffs.stalled_total);
  }
  return 0;
}

}  // namespace berth::cli
