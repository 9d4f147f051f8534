// A Berth node in a process of its own, for the ensemble fault tests: it opens an engine on the
// `zookeeper` backend through the host C API (berth.h), joins as server "srv-<node>" and campaigns,
// then reports on stdout and obeys commands on stdin, one line each, so a test can SIGKILL it at any
// moment and watch what the other nodes do.
//
//   zk_node_helper CONNECT ROOT NODE SESSION_TIMEOUT
//
// Printed on its own, whenever what the node serves changes (polled every 2 ms):
//   state <version> <epoch> <is_leader> <degraded> <fingerprint> <monotonic ms>
// where fingerprint hashes every stream id and its owner's id in the served snapshot, so two
// nodes serving the same version agree on it and a torn snapshot cannot match.
// Commands and their answers:
//   add N             streams "stream-<i>-<hex>" for i < N, flushed to the leader  -> ok add
//   refresh           publish now (leader only)         -> refreshed <version> <fingerprint> | error <code> <message>
//   publish-loop MS   every MS ms while leading: remove stream-<round> and refresh, printing each
//                     refreshed/error line
//   stop-loop                                           -> ok stop-loop
//   lookup N          streams 0..N-1 -> lookups <answered> <failed> <hash of the owners> <version>
//   metrics           -> metrics <degraded gauge from the Prometheus text> <snapshots_rejected counter>
// EOF on stdin closes the engine and ends the process. Failures to start print "error ..." and exit 2.
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "berth/berth.h"
#include "common/child_io.h"
#include "common/placed_streams.h"

namespace {

using berth::test::monotonic_ms;
using berth::test::say;

uint64_t fnv(uint64_t h, const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
  return h;
}

// Each id ends in 32 pseudo-random hex digits (splitmix64 of its number), so a snapshot of many
// ids hardly compresses and is stored in several chunks, as a torn-snapshot test needs.
std::string stream_name(uint64_t i) {
  std::string id = "stream-" + std::to_string(i) + "-";
  uint64_t x = i;
  for (int half = 0; half < 2; ++half) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016" PRIx64, z ^ (z >> 31));
    id += hex;
  }
  return id;
}

// {version, fingerprint} of the snapshot served now; {0, 0} before the first.
std::pair<uint64_t, uint64_t> served(berth_engine* engine) {
  berth_snapshot* s = nullptr;
  if (berth_engine_snapshot(engine, &s, nullptr) != BERTH_OK) return {0, 0};
  uint64_t h = 14695981039346656037ull;
  berth::test::for_each_placed(s, [&](std::string_view id, const char* server, double) {
    h = fnv(h, id.data(), id.size());
    if (server != nullptr) h = fnv(h, server, std::strlen(server) + 1);
  });
  uint64_t version = berth_snapshot_version(s);
  berth_snapshot_release(s);
  return {version, h};
}

std::string error_line(berth_error* error) {
  std::string line = "error " + std::to_string(berth_error_code(error)) + " " + berth_error_message(error);
  berth_error_free(error);
  for (char& c : line)
    if (c == '\n') c = ' ';
  return line;
}

void refresh(berth_engine* engine) {
  berth_error* error = nullptr;
  if (berth_engine_refresh(engine, &error) != BERTH_OK) {
    say(error_line(error));
    return;
  }
  auto [version, fingerprint] = served(engine);
  say("refreshed " + std::to_string(version) + " " + std::to_string(fingerprint));
}

int run(int argc, char** argv) {
  if (argc != 5) {
    say("error usage: zk_node_helper CONNECT ROOT NODE SESSION_TIMEOUT");
    return 2;
  }
  const std::string node = argv[3];
  berth_options* options = nullptr;
  berth_error* error = nullptr;
  berth_options_new(&options, nullptr);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"backend.name", "zookeeper"},
                                   {"backend.connect", argv[1]},
                                   {"backend.root", argv[2]},
                                   {"backend.session_timeout", argv[4]},
                                   {"engine.node_id", node},
                                   {"engine.refresh_interval", "3600s"},  // the test says when
                                   {"engine.intake_flush", "5ms"},
                                   {"engine.intake_refresh_delay", "0"}}) {  // nor intake
    if (berth_options_set(options, key.c_str(), value.c_str(), &error) != BERTH_OK) {
      say(error_line(error));
      return 2;
    }
  }
  berth_engine* engine = nullptr;
  if (berth_engine_open(options, &engine, &error) != BERTH_OK) {
    say(error_line(error));
    return 2;
  }
  berth_options_free(options);
  if (berth_engine_join(engine, ("srv-" + node).c_str(), 1.0, &error) != BERTH_OK) {
    say(error_line(error));
    return 2;
  }
  say("ready " + node);

  std::atomic<bool> stop{false};
  std::atomic<int> loop_ms{0};
  // Its own thread, never blocked by a refresh, so it sees every version a leader publishes
  // (a refresh with its publication takes far longer than one round here).
  std::thread monitor([&] {
    std::string last;
    while (!stop.load()) {
      berth_engine_status status{};
      status.struct_size = sizeof status;
      if (berth_engine_status_get(engine, &status, nullptr) == BERTH_OK) {
        auto [version, fingerprint] = served(engine);
        std::string now = std::to_string(version) + " " + std::to_string(status.epoch) + " " +
                          std::to_string(status.is_leader) + " " + std::to_string(status.degraded) + " " +
                          std::to_string(fingerprint);
        if (now != last) say("state " + now + " " + std::to_string(monotonic_ms()));
        last = now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::mutex publishing;  // held during a loop's refresh: stop-loop answers only after it
  std::thread publisher([&] {
    uint64_t round = 0;
    while (!stop.load()) {
      berth_engine_status status{};
      status.struct_size = sizeof status;
      int ms = 0;
      {
        std::lock_guard lock(publishing);
        ms = loop_ms.load();
        if (ms > 0 && berth_engine_status_get(engine, &status, nullptr) == BERTH_OK && status.is_leader == 1) {
          // One stream fewer each round, near the front: every id after it moves, so consecutive
          // versions differ in every chunk and a mix of two could not pass for either.
          std::string gone = stream_name(round++);
          if (berth_engine_remove_stream(engine, gone.data(), gone.size(), nullptr) == BERTH_OK)
            berth_engine_flush(engine, nullptr);
          refresh(engine);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(ms > 0 ? ms : 10));
    }
  });

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    uint64_t n = 0;
    in >> command >> n;
    if (command == "add") {
      bool ok = true;
      for (uint64_t i = 0; i < n && ok; ++i) {
        std::string id = stream_name(i);
        ok = berth_engine_add_stream(engine, id.data(), id.size(), "", static_cast<double>(1 + i % 7), &error) == BERTH_OK;
        // Flushed in batches: one intake record must stay below the backend's 1 MB limit.
        if (ok && (i + 1) % 5000 == 0) ok = berth_engine_flush(engine, &error) == BERTH_OK;
      }
      if (ok) ok = berth_engine_flush(engine, &error) == BERTH_OK;
      say(ok ? "ok add" : error_line(error));
    } else if (command == "refresh") {
      refresh(engine);
    } else if (command == "publish-loop") {
      loop_ms.store(static_cast<int>(n));
    } else if (command == "stop-loop") {
      std::lock_guard lock(publishing);
      loop_ms.store(0);
      say("ok stop-loop");
    } else if (command == "lookup") {
      uint64_t answered = 0, failed = 0, h = 14695981039346656037ull;
      for (uint64_t i = 0; i < n; ++i) {
        std::string id = stream_name(i);
        const char* owner = nullptr;
        if (berth_engine_lookup(engine, id.data(), id.size(), &owner, nullptr) == BERTH_OK) {
          ++answered;
          h = fnv(h, owner, std::strlen(owner) + 1);
        } else {
          ++failed;
        }
      }
      say("lookups " + std::to_string(answered) + " " + std::to_string(failed) + " " + std::to_string(h) + " " +
          std::to_string(served(engine).first));
    } else if (command == "metrics") {
      char* text = nullptr;
      std::string degraded = "?", rejected = "?";
      if (berth_engine_metrics_text(engine, &text, nullptr) == BERTH_OK) {
        std::istringstream lines(text);
        std::string metric;
        while (std::getline(lines, metric)) {
          if (metric.empty() || metric[0] == '#') continue;
          std::string name = metric.substr(0, metric.find_first_of("{ "));
          std::string value = metric.substr(metric.rfind(' ') + 1);
          if (name == "berth_degraded") degraded = value;
          if (name == "berth_snapshots_rejected" || name == "berth_snapshots_rejected_total") rejected = value;
        }
        berth_string_free(text);
      }
      say("metrics " + degraded + " " + rejected);
    } else {
      say("error unknown command: " + line);
    }
  }
  stop.store(true);
  monitor.join();
  publisher.join();
  berth_engine_close(engine);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    say(std::string("error ") + e.what());
    return 2;
  }
}
