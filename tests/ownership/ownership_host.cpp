// A write-proxy stand-in in a process of its own, over the host C API (berth.h), for the
// ownership checker (ownership_check.cpp): it opens an engine on the `zookeeper` backend, joins
// as one server, campaigns, and serves what its feed says, logging every start and stop to a
// history file (history.h's lines) by CLOCK_MONOTONIC, which every process of the machine shares.
//
//   ownership_host CONNECT ROOT SERVER HOST SESSION_TIMEOUT LOG [soft] [late-revoke]
//
// "soft" and "late-revoke" make broken variants the checker must catch: soft hand-offs, and a host
// that stops serving a revoked stream only once its node was disconnected from its backend and is
// connected again (as if claims ended when the backend says the session expired, not at the
// lease's end; a revocation without a disconnection is never acted on).
//
// HOST names this process in the history: a server joined again by a new process is another host.
// Prints "ready" once joined, then "held <n>" whenever the number of streams it holds changes,
// and "leader 1" / "leader 0" when its engine starts or stops leading.
// Commands on stdin, one per line: "add N" (streams stream-<i>, i < N; answers "ok add"),
// "drain", "undrain" (answer "ok drain" / "ok undrain"), and for the soak
// (tests/zookeeper/zk_soak_test.cpp): "load A B SEED" (reports drift_load(SEED, i) for streams
// A <= i < B; answers "ok load"), "state" (answers "state <version> <streams> <load digest>
// <owner digest>" of the snapshot it serves, digests of zk_soak_streams.h). EOF: it stops serving (logged), closes
// its engine and exits. A stream is taken up when the feed delivers its acquire and holds()
// confirms the token: the interval logged starts then. A release request is acknowledged after
// a short random pause, as a proxy finishing in-flight writes would, each stream on its own: the
// feed keeps being served meanwhile, so acquires queued behind many release requests do not wait
// for their pauses one after another. On stderr, beside the
// engine's log: "status <version> <epoch> <leader> <degraded> <refreshes ok> <refreshes failed>
// <last refresh ms> <monotonic ns>" whenever one of them changes, to line up with the history
// when a fault takes long to heal. BERTH_HOST_APPRAISER names the appraiser (default: the
// engine's); BERTH_HOST_CAMPAIGN=false keeps it out of the election. BERTH_HOST_LEAK_SNAPSHOTS=1 makes "state" keep every snapshot it reads: a leak on
// purpose, which the soak's footprint bound must catch.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "berth/berth.h"
#include "common/child_io.h"
#include "common/placed_streams.h"
#include "history.h"
#include "common/zk_soak_streams.h"

namespace {

using berth::test::monotonic_ns;
using berth::test::say;

std::string message(berth_error* err) {
  std::string text = err != nullptr ? berth_error_message(err) : "";
  berth_error_free(err);
  return text;
}

[[noreturn]] void fail(const std::string& what, berth_error* err) {
  say("error " + what + ": " + message(err));
  std::exit(2);
}

// One line per event, written with one write(2) on an O_APPEND file: a SIGKILL never leaves half
// a line, and what was written survives the process.
class Log {
 public:
  explicit Log(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0) {
      say("error cannot open log " + path);
      std::exit(2);
    }
  }
  void add(const berth::testing::HistoryEvent& e) {
    std::string line = berth::testing::format_event(e) + "\n";
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) say("error log write failed");
  }

 private:
  int fd_;
};

// "state <version> <streams> <load digest> <owner digest>" of the snapshot served now.
std::string state_line(berth_engine* engine) {
  namespace soak = berth::test::soak;
  berth_snapshot* s = nullptr;
  if (berth_engine_snapshot(engine, &s, nullptr) != BERTH_OK) return "state 0 0 0 0";
  uint64_t loads = 0, owners = 0, n = 0;
  berth::test::for_each_placed(s, [&](std::string_view id, const char* server, double load) {
    std::string stream(id);
    loads += soak::load_digest(stream, load);
    if (server != nullptr) owners += soak::owner_digest(stream, server);
    ++n;
  });
  std::string line = "state " + std::to_string(berth_snapshot_version(s)) + " " + std::to_string(n) + " " +
                     std::to_string(loads) + " " + std::to_string(owners);
  static const bool leak = std::getenv("BERTH_HOST_LEAK_SNAPSHOTS") != nullptr;
  if (!leak) berth_snapshot_release(s);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: ownership_host CONNECT ROOT SERVER HOST SESSION_TIMEOUT LOG [soft] [late-revoke]\n");
    return 2;
  }
  const std::string server = argv[3];
  const std::string host = argv[4];
  bool soft = false, late_revoke = false;
  for (int i = 7; i < argc; ++i) {
    soft = soft || std::string(argv[i]) == "soft";
    late_revoke = late_revoke || std::string(argv[i]) == "late-revoke";
  }
  // Tests of wake-ups (tests/zookeeper/zk_storm_test.cpp) refresh rarely, so a missed one shows.
  const char* refresh_interval = std::getenv("BERTH_HOST_REFRESH_INTERVAL");
  const char* appraiser = std::getenv("BERTH_HOST_APPRAISER");
  const char* campaign = std::getenv("BERTH_HOST_CAMPAIGN");
  // The broken variant of the vanished-holder tests (zk_vanish_test.cpp) sets it to 0.
  const char* vanish_wait = std::getenv("BERTH_HOST_VANISH_WAIT");
  Log log(argv[6]);
  berth_error* err = nullptr;
  berth_options* o = nullptr;
  if (berth_options_new(&o, &err) != BERTH_OK) fail("options", err);
  const std::pair<const char*, std::string> settings[] = {
      {"backend.name", "zookeeper"},
      {"backend.connect", argv[1]},
      {"backend.root", argv[2]},
      {"backend.session_timeout", argv[5]},
      {"engine.node_id", "host-" + server},
      {"engine.refresh_interval", refresh_interval != nullptr ? refresh_interval : "2s"},
      {"engine.refresh_on_change", "true"},
      {"engine.intake_flush", "2ms"},
      {"engine.intake_refresh_delay", "5ms"},
      {"ownership.lease_margin", "300ms"},
      {"ownership.soft_handoff", soft ? "true" : "false"},
      {"policy.name", "sticky"}};
  for (const auto& [key, value] : settings)
    if (berth_options_set(o, key, value.c_str(), &err) != BERTH_OK) fail(key, err);
  if (appraiser != nullptr && berth_options_set(o, "appraiser.name", appraiser, &err) != BERTH_OK) fail("appraiser", err);
  if (campaign != nullptr && berth_options_set(o, "engine.campaign", campaign, &err) != BERTH_OK) fail("campaign", err);
  if (vanish_wait != nullptr && berth_options_set(o, "ownership.vanish_wait", vanish_wait, &err) != BERTH_OK)
    fail("ownership.vanish_wait", err);
  berth_engine* engine = nullptr;
  if (berth_engine_open(o, &engine, &err) != BERTH_OK) fail("open", err);
  berth_options_free(o);
  // A predecessor SIGKILLed a moment ago still holds the server's registration until its session
  // expires: join again until it is gone.
  for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);;) {
    if (berth_engine_join(engine, server.c_str(), 1.0, &err) == BERTH_OK) break;
    if (std::chrono::steady_clock::now() > give_up) fail("join", err);
    berth_error_free(err);
    err = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  berth_ownership* feed = nullptr;
  if (berth_ownership_open(engine, server.c_str(), &feed, &err) != BERTH_OK) fail("feed", err);
  say("ready");

  std::atomic<bool> stop{false};
  std::thread serving([&] {
    std::mt19937 rng(static_cast<uint32_t>(monotonic_ns()));
    std::uniform_int_distribution<int> finish_us(0, 5000);
    uint64_t held = 0, reported = UINT64_MAX;
    // Release requests being finished: (when done, by monotonic_ns) -> (stream, token).
    std::multimap<uint64_t, std::pair<std::string, uint64_t>> finishing;
    // late-revoke: revoked streams still served until the node has been seen disconnected (the
    // lease may end first) and then connected again.
    std::vector<std::pair<std::string, uint64_t>> revoked_late;
    bool seen_degraded = false;
    auto stop_revoked_late = [&] {
      berth_engine_status st{};
      st.struct_size = sizeof st;
      if (revoked_late.empty() || berth_engine_status_get(engine, &st, nullptr) != BERTH_OK) return;
      seen_degraded = seen_degraded || st.degraded != 0;
      if (!seen_degraded || st.degraded != 0) return;
      for (const auto& [stream, token] : revoked_late) log.add({'V', host, stream, token, monotonic_ns()});
      revoked_late.clear();
      seen_degraded = false;
    };
    auto acknowledge_finished = [&] {
      while (!finishing.empty() && finishing.begin()->first <= monotonic_ns()) {
        auto [stream, granted] = finishing.begin()->second;
        finishing.erase(finishing.begin());
        // It served until `stopped` only if it still held the stream then: a process stopped
        // while finishing (SIGSTOP past its lease) lost the claim at the lease's end, which the
        // revocation tells; it neither served nor acknowledges after that.
        const uint64_t stopped = monotonic_ns();
        uint64_t token = 0;
        if (berth_ownership_holds(feed, stream.data(), stream.size(), &token) != 1 || token != granted) continue;
        berth_error* release_err = nullptr;
        int32_t rc = berth_ownership_release_stream(feed, stream.data(), stream.size(), granted, &release_err);
        if (rc == BERTH_OK) {
          log.add({'R', host, stream, granted, stopped});
          --held;
        } else if (rc != BERTH_E_STATE) {
          say("error release: " + message(release_err));
        } else {
          berth_error_free(release_err);  // revoked meanwhile: its revocation follows
        }
      }
    };
    while (!stop.load()) {
      acknowledge_finished();
      stop_revoked_late();
      uint32_t wait_ms = 20;
      if (!finishing.empty()) {
        uint64_t now = monotonic_ns(), next = finishing.begin()->first;
        wait_ms = next <= now ? 0 : static_cast<uint32_t>(std::min<uint64_t>(20, (next - now + 999999) / 1000000));
      }
      berth_ownership_event e{};
      e.struct_size = sizeof e;
      berth_error* poll_err = nullptr;
      if (berth_ownership_poll(feed, wait_ms, &e, &poll_err) != BERTH_OK) {
        say("error poll: " + message(poll_err));
        return;
      }
      std::string stream(e.stream != nullptr ? e.stream : "", e.stream_len);
      if (e.kind == BERTH_OWNERSHIP_ACQUIRE) {
        // Served only once holds() confirms the grant: a claim that lapsed since its delivery
        // is never taken up (its revocation follows).
        uint64_t token = 0;
        if (berth_ownership_holds(feed, stream.data(), stream.size(), &token) == 1 && token == e.token) {
          stop_revoked_late();  // a grant comes only with a lease: connected again
          log.add({'A', host, stream, e.token, monotonic_ns()});
          ++held;
        }
      } else if (e.kind == BERTH_OWNERSHIP_RELEASE) {
        finishing.emplace(monotonic_ns() + static_cast<uint64_t>(finish_us(rng)) * 1000, std::make_pair(stream, e.token));
      } else if (e.kind == BERTH_OWNERSHIP_REVOKED && late_revoke) {
        revoked_late.emplace_back(stream, e.token);
        stop_revoked_late();
        if (held > 0) --held;  // the feed's claims, for "held N"; the history shows it serving on
      } else if (e.kind == BERTH_OWNERSHIP_REVOKED) {
        log.add({'V', host, stream, e.token, e.ended_ns});
        if (held > 0) --held;
      }
      if (e.kind != BERTH_OWNERSHIP_NONE || !finishing.empty()) continue;  // report once all is quiet
      berth_held* h = nullptr;
      if (berth_held_new(feed, &h, nullptr) == BERTH_OK) {
        held = berth_held_count(h);
        berth_held_free(h);
      }
      if (held != reported) {
        reported = held;
        say("held " + std::to_string(held));
      }
    }
  });

  std::thread watching([&] {
    std::string last;
    int32_t leading = 0;
    while (!stop.load()) {
      berth_engine_status st{};
      st.struct_size = sizeof st;
      berth_metrics m{};
      m.struct_size = sizeof m;
      if (berth_engine_status_get(engine, &st, nullptr) == BERTH_OK && berth_engine_metrics_get(engine, &m, nullptr) == BERTH_OK) {
        std::string now = std::to_string(st.version) + " " + std::to_string(st.epoch) + " " + std::to_string(st.is_leader) +
                          " " + std::to_string(st.degraded) + " " + std::to_string(m.refresh_ok) + " " +
                          std::to_string(m.refresh_failed) + " " + std::to_string(static_cast<int64_t>(m.refresh_ms));
        if (now != last) std::fprintf(stderr, "status %s %llu\n", now.c_str(), static_cast<unsigned long long>(monotonic_ns()));
        last = now;
        if (st.is_leader != leading) say("leader " + std::to_string(st.is_leader));
        leading = st.is_leader;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("add ", 0) == 0) {
      uint64_t n = std::stoull(line.substr(4));
      for (uint64_t i = 0; i < n; ++i) {
        std::string id = berth::test::soak::stream_id(i);
        if (berth_engine_add_stream(engine, id.data(), id.size(), "", 1.0, &err) != BERTH_OK) fail("add", err);
        // Flushed in batches: one intake record must stay below the backend's 1 MB limit.
        if ((i + 1) % 5000 == 0 && berth_engine_flush(engine, &err) != BERTH_OK) fail("flush", err);
      }
      if (berth_engine_flush(engine, &err) != BERTH_OK) fail("flush", err);
      say("ok add");
    } else if (line.rfind("load ", 0) == 0) {
      std::istringstream words(line.substr(5));
      uint64_t from = 0, to = 0, seed = 0;
      words >> from >> to >> seed;
      // A flush refused while ZooKeeper is away keeps its records for the engine's next one: the
      // soak checks that they arrive.
      auto flush = [&] {
        if (berth_engine_flush(engine, &err) == BERTH_OK) return;
        std::fprintf(stderr, "flush failed, kept for later: %s\n", message(err).c_str());
        err = nullptr;
      };
      for (uint64_t i = from; i < to; ++i) {
        std::string id = berth::test::soak::stream_id(i);
        if (berth_engine_report_load(engine, id.data(), id.size(), berth::test::soak::drift_load(seed, i), &err) != BERTH_OK)
          fail("load", err);
        if ((i + 1) % 5000 == 0) flush();
      }
      flush();
      say("ok load");
    } else if (line == "state") {
      say(state_line(engine));
    } else if (line == "drain" || line == "undrain") {
      if (berth_engine_drain(engine, server.c_str(), line == "drain" ? 1 : 0, &err) != BERTH_OK)
        say("error " + line + ": " + message(err));
      else
        say("ok " + line);
    } else {
      say("error unknown command '" + line + "'");
    }
  }
  stop.store(true);
  serving.join();
  watching.join();
  log.add({'K', host, "", 0, monotonic_ns()});
  berth_ownership_close(feed);
  berth_engine_close(engine);
  return 0;
}
