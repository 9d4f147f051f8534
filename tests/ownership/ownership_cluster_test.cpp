// At most one holder per stream, through the host C API (libberth.so) on an in-memory cluster:
// host threads serve what their feeds grant and log it; a seeded schedule drains, undrains,
// crashes and restarts hosts and restarts the leader; the history checker (history.h) judges
// the log. The same schedule with soft hand-offs (the new owner granted before the old one
// released: the documented way to break the guarantee) must be caught, or the checker proves
// nothing.
#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "berth/berth.h"
#include "history.h"

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

struct History {
  std::mutex mutex;
  std::vector<HistoryEvent> events;
  void add(HistoryEvent e) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(e));
  }
};

std::string text_of(berth_error* err) {
  std::string text = err != nullptr ? berth_error_message(err) : "";
  berth_error_free(err);
  return text;
}

berth_engine* open_engine(const std::string& cluster, const std::string& node, bool campaign, bool soft,
                          const std::string& refresh_interval = "250ms") {
  berth_options* o = nullptr;
  berth_error* err = nullptr;
  EXPECT_EQ(berth_options_new(&o, &err), BERTH_OK);
  std::map<std::string, std::string> settings{{"backend.name", "memory"},
                                              {"backend.cluster", cluster},
                                              {"policy.name", "sticky"},
                                              {"engine.node_id", node},
                                              {"engine.campaign", campaign ? "true" : "false"},
                                              {"engine.refresh_interval", refresh_interval},
                                              {"engine.refresh_on_change", "true"},
                                              {"engine.intake_flush", "2ms"},
                                              {"engine.intake_refresh_delay", "5ms"},
                                              {"ownership.soft_handoff", soft ? "true" : "false"}};
  for (const auto& [key, value] : settings)
    EXPECT_EQ(berth_options_set(o, key.c_str(), value.c_str(), &err), BERTH_OK) << key << ": " << text_of(err);
  berth_engine* e = nullptr;
  int32_t rc = berth_engine_open(o, &e, &err);
  berth_options_free(o);
  EXPECT_EQ(rc, BERTH_OK) << text_of(err);
  return e;
}

// One host: an engine with one server, and a thread serving what the feed says.
class Host {
 public:
  Host(const std::string& cluster, const std::string& server, bool soft, History& history, uint32_t seed)
      : server_(server), history_(history), rng_(seed) {
    engine_ = open_engine(cluster, "host-" + server, false, soft);
    berth_error* err = nullptr;
    EXPECT_EQ(berth_engine_join(engine_, server.c_str(), 1.0, &err), BERTH_OK) << text_of(err);
    EXPECT_EQ(berth_ownership_open(engine_, server.c_str(), &feed_, &err), BERTH_OK) << text_of(err);
    thread_ = std::thread([this] { serve(); });
  }
  ~Host() { crash(); }

  // The host stops at once: it serves nothing from now on (logged), then its engine closes (an
  // in-process stand-in for a crash; ownership_check SIGKILLs real processes).
  void crash() {
    if (engine_ == nullptr) return;
    stop_ = true;
    thread_.join();
    history_.add(HistoryEvent{'K', server_, "", 0, now_ns()});
    berth_ownership_close(feed_);
    berth_engine_close(engine_);
    engine_ = nullptr;
  }
  void drain(bool on) {
    berth_error* err = nullptr;
    EXPECT_EQ(berth_engine_drain(engine_, server_.c_str(), on ? 1 : 0, &err), BERTH_OK) << text_of(err);
  }
  uint64_t held() {
    berth_held* h = nullptr;
    berth_error* err = nullptr;
    if (berth_held_new(feed_, &h, &err) != BERTH_OK) {
      ADD_FAILURE() << text_of(err);
      return 0;
    }
    uint64_t n = berth_held_count(h);
    berth_held_free(h);
    return n;
  }
  const std::string& server() const { return server_; }

 private:
  void serve() {
    std::uniform_int_distribution<int> ack_delay_us(0, 3000);
    while (!stop_) {
      berth_ownership_event e{};
      e.struct_size = sizeof e;
      berth_error* err = nullptr;
      if (berth_ownership_poll(feed_, 20, &e, &err) != BERTH_OK) {
        ADD_FAILURE() << server_ << ": " << text_of(err);
        return;
      }
      std::string stream(e.stream != nullptr ? e.stream : "", e.stream_len);
      if (e.kind == BERTH_OWNERSHIP_ACQUIRE) {
        // Served only once holds() confirms the grant: a claim that ended since its delivery (a
        // soft hand-off, a newer version) is never taken up, and its revocation follows.
        uint64_t token = 0;
        if (berth_ownership_holds(feed_, stream.data(), stream.size(), &token) == 1 && token == e.token)
          history_.add(HistoryEvent{'A', server_, stream, e.token, now_ns()});
      } else if (e.kind == BERTH_OWNERSHIP_RELEASE) {
        std::this_thread::sleep_for(std::chrono::microseconds(ack_delay_us(rng_)));  // finishing in-flight work
        history_.add(HistoryEvent{'R', server_, stream, e.token, now_ns()});
        int32_t rc = berth_ownership_release_stream(feed_, stream.data(), stream.size(), e.token, &err);
        // A claim revoked meanwhile is no longer there to release.
        if (rc != BERTH_OK && rc != BERTH_E_STATE) ADD_FAILURE() << server_ << ": " << text_of(err);
        else berth_error_free(err);
      } else if (e.kind == BERTH_OWNERSHIP_REVOKED) {
        history_.add(HistoryEvent{'V', server_, stream, e.token, e.ended_ns});
      }
    }
  }

  std::string server_;
  History& history_;
  std::mt19937 rng_;
  berth_engine* engine_ = nullptr;
  berth_ownership* feed_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Outcome {
  HistoryVerdict verdict;
  bool settled = false;  // every stream held again after the faults healed
};

Outcome run_schedule(uint32_t seed, bool soft, int streams, std::chrono::milliseconds faults_for) {
  static std::atomic<int> runs{0};
  const std::string cluster = "ownership-" + std::to_string(::getpid()) + "-" + std::to_string(runs++);
  History history;
  std::mt19937 rng(seed);
  berth_engine* leader = open_engine(cluster, "leader", true, soft);
  std::vector<std::unique_ptr<Host>> hosts;
  int next_server = 0;
  auto add_host = [&] {
    hosts.push_back(std::make_unique<Host>(cluster, "s" + std::to_string(next_server++), soft, history, rng()));
  };
  for (int i = 0; i < 4; ++i) add_host();
  berth_error* err = nullptr;
  for (int i = 0; i < streams; ++i) {
    std::string id = "stream-" + std::to_string(i);
    EXPECT_EQ(berth_engine_add_stream(leader, id.data(), id.size(), "", 1.0, &err), BERTH_OK) << text_of(err);
  }
  EXPECT_EQ(berth_engine_flush(leader, &err), BERTH_OK) << text_of(err);

  std::map<size_t, bool> drained;
  auto deadline = std::chrono::steady_clock::now() + faults_for;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 200));
    size_t pick = rng() % hosts.size();
    switch (rng() % 5) {
      case 0:
      case 1:
        drained[pick] = !drained[pick];
        hosts[pick]->drain(drained[pick]);
        break;
      case 2:  // a host dies; another takes its place
        if (hosts.size() > 2) {
          hosts.erase(hosts.begin() + static_cast<std::ptrdiff_t>(pick));
          drained.clear();
          for (auto& h : hosts) h->drain(false);
        }
        add_host();
        break;
      case 3:  // the leader restarts
        berth_engine_close(leader);
        leader = open_engine(cluster, "leader", true, soft);
        break;
      case 4:
        if (hosts.size() < 6) add_host();
        break;
    }
  }
  for (auto& h : hosts) h->drain(false);

  // Healed: every stream is held again, and nothing waits for a release.
  Outcome out;
  auto settle_by = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < settle_by && !out.settled) {
    std::this_thread::sleep_for(20ms);
    uint64_t held = 0;
    for (auto& h : hosts) held += h->held();
    berth_metrics m{};
    m.struct_size = sizeof m;
    if (berth_engine_metrics_get(leader, &m, &err) != BERTH_OK) {
      ADD_FAILURE() << text_of(err);
      break;
    }
    out.settled = held == static_cast<uint64_t>(streams) && m.streams_unheld == 0 && m.streams_releasing == 0;
  }
  hosts.clear();  // each logs its end
  berth_engine_close(leader);
  out.verdict = check_history(history.events, 0, now_ns());
  return out;
}

TEST(OwnershipCluster, NoStreamHasTwoHoldersThroughDrainsHostsClosedAtOnceAndLeaderRestarts) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    Outcome o = run_schedule(seed, false, 1000, 3s);
    EXPECT_TRUE(o.settled) << "seed " << seed << ": streams still unheld 20 s after the faults healed";
    EXPECT_EQ(o.verdict.violations, 0u) << "seed " << seed << ": " << (o.verdict.examples.empty() ? "" : o.verdict.examples[0]);
    EXPECT_GT(o.verdict.intervals, 1000u) << "seed " << seed << ": the schedule moved nothing";
    std::printf("seed %u: %llu intervals, %llu violations, max unowned window %.1f ms\n", seed,
                static_cast<unsigned long long>(o.verdict.intervals), static_cast<unsigned long long>(o.verdict.violations),
                static_cast<double>(o.verdict.max_unowned_ns) / 1e6);
  }
}

// The leader refreshes every hour here: only the intake can wake it. A stream a host first meets
// through a lookup is held by nobody until the leader grants it, which must take milliseconds.
TEST(OwnershipCluster, AStreamFirstSeenByALookupIsGrantedLongBeforeTheRefreshInterval) {
  static std::atomic<int> runs{0};
  const std::string cluster = "ownership-seen-" + std::to_string(::getpid()) + "-" + std::to_string(runs++);
  berth_engine* leader = open_engine(cluster, "leader", true, false, "1h");
  berth_error* err = nullptr;
  berth_engine* host = open_engine(cluster, "host", false, false, "1h");
  ASSERT_EQ(berth_engine_join(host, "s0", 1.0, &err), BERTH_OK) << text_of(err);
  berth_ownership* feed = nullptr;
  ASSERT_EQ(berth_ownership_open(host, "s0", &feed, &err), BERTH_OK) << text_of(err);
  // The leader may have published versions of its own before the join reached it; the host waits
  // for the one refreshed after the join, which has the server and no streams.
  ASSERT_EQ(berth_engine_refresh(leader, &err), BERTH_OK) << text_of(err);
  berth_engine_status status{};
  status.struct_size = sizeof status;
  ASSERT_EQ(berth_engine_status_get(leader, &status, &err), BERTH_OK) << text_of(err);
  ASSERT_EQ(status.server_count, 1u) << "the leader's refresh after the join does not have its server";
  ASSERT_EQ(berth_engine_wait_version(host, status.version, 10000, &err), BERTH_OK) << text_of(err);

  const std::string stream = "written-before-anyone-added-it";
  const char* owner = nullptr;
  ASSERT_EQ(berth_engine_lookup(host, stream.data(), stream.size(), &owner, &err), BERTH_OK) << text_of(err);
  EXPECT_STREQ(owner, "s0");
  // Held, if already, only through a grant in a version after the one the lookup was answered from.
  uint64_t early = 0;
  if (berth_ownership_holds(feed, stream.data(), stream.size(), &early) != 0) {
    EXPECT_GT(early, status.version) << "held under a token no version after the lookup granted";
  }
  const auto looked_up = std::chrono::steady_clock::now();
  berth_ownership_event e{};
  e.struct_size = sizeof e;
  do {
    ASSERT_EQ(berth_ownership_poll(feed, 5000, &e, &err), BERTH_OK) << text_of(err);
  } while (e.kind != BERTH_OWNERSHIP_ACQUIRE && e.kind != BERTH_OWNERSHIP_NONE);
  const auto granted_after = std::chrono::steady_clock::now() - looked_up;
  ASSERT_EQ(e.kind, BERTH_OWNERSHIP_ACQUIRE) << "no grant within 5 s of the lookup";
  EXPECT_EQ(std::string(e.stream, e.stream_len), stream);
  EXPECT_GT(e.token, 1u);
  EXPECT_LT(granted_after, 2s) << "granted only after " << std::chrono::duration<double>(granted_after).count() << " s";
  berth_ownership_close(feed);
  berth_engine_close(host);
  berth_engine_close(leader);
}

// A server a host joined but serves no feed of is only routed to: the leader grants it nothing,
// its streams wait for nobody (no unheld stream, no hand-off), until a feed is opened for it.
TEST(OwnershipCluster, AServerWithoutAFeedIsGrantedNothingUntilOneIsOpened) {
  static std::atomic<int> runs{0};
  const std::string cluster = "ownership-routed-" + std::to_string(::getpid()) + "-" + std::to_string(runs++);
  berth_engine* leader = open_engine(cluster, "leader", true, false);
  berth_engine* host = open_engine(cluster, "host", false, false);
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_join(host, "served", 1.0, &err), BERTH_OK) << text_of(err);
  ASSERT_EQ(berth_engine_join(host, "routed", 1.0, &err), BERTH_OK) << text_of(err);
  berth_ownership* served = nullptr;
  ASSERT_EQ(berth_ownership_open(host, "served", &served, &err), BERTH_OK) << text_of(err);
  constexpr int kStreams = 40;
  for (int i = 0; i < kStreams; ++i) {
    const std::string id = "stream-" + std::to_string(i);
    ASSERT_EQ(berth_engine_add_stream(host, id.data(), id.size(), "", 1.0, &err), BERTH_OK) << text_of(err);
  }
  ASSERT_EQ(berth_engine_flush(host, &err), BERTH_OK) << text_of(err);

  // Settled: every stream placed, the served server holds what it owns, nothing else is held.
  auto owned_by = [&](const char* server) {
    int n = 0;
    for (int i = 0; i < kStreams; ++i) {
      const std::string id = "stream-" + std::to_string(i);
      const char* owner = nullptr;
      if (berth_engine_lookup(host, id.data(), id.size(), &owner, nullptr) == BERTH_OK && std::string(owner) == server) ++n;
    }
    return n;
  };
  auto held_by = [&](berth_ownership* feed) {
    berth_held* held = nullptr;
    EXPECT_EQ(berth_held_new(feed, &held, &err), BERTH_OK) << text_of(err);
    uint64_t n = held != nullptr ? berth_held_count(held) : 0;
    berth_held_free(held);
    return static_cast<int>(n);
  };
  berth_metrics m{};
  m.struct_size = sizeof m;
  auto until = std::chrono::steady_clock::now() + 10s;
  int routed_owns = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
    ASSERT_EQ(berth_engine_metrics_get(leader, &m, &err), BERTH_OK) << text_of(err);
    berth_engine_status status{};
    status.struct_size = sizeof status;
    ASSERT_EQ(berth_engine_status_get(host, &status, &err), BERTH_OK) << text_of(err);
    routed_owns = owned_by("routed");
    if (status.stream_count == static_cast<uint64_t>(kStreams) && routed_owns > 0 && held_by(served) == owned_by("served")) break;
  }
  ASSERT_EQ(held_by(served), owned_by("served"));
  ASSERT_GT(routed_owns, 0) << "the policy placed nothing on the routed server: the test shows nothing";
  EXPECT_EQ(m.streams_unheld, 0u) << "the routed server's streams count as waiting for a holder";
  EXPECT_EQ(m.streams_releasing, 0u);

  // Draining the routed server moves its streams to the served one at once: no holder to wait for.
  ASSERT_EQ(berth_engine_drain(host, "routed", 1, &err), BERTH_OK) << text_of(err);
  until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until && held_by(served) < kStreams) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(held_by(served), kStreams) << "the routed server's streams did not reach the served one; it owns " << owned_by("served");
  ASSERT_EQ(berth_engine_metrics_get(leader, &m, &err), BERTH_OK) << text_of(err);
  EXPECT_EQ(m.streams_releasing, 0u);

  // Up again with a feed: it is granted streams again.
  ASSERT_EQ(berth_engine_drain(host, "routed", 0, &err), BERTH_OK) << text_of(err);
  berth_ownership* routed = nullptr;
  ASSERT_EQ(berth_ownership_open(host, "routed", &routed, &err), BERTH_OK) << text_of(err);
  for (int i = kStreams; i < 2 * kStreams; ++i) {
    const std::string id = "stream-" + std::to_string(i);
    ASSERT_EQ(berth_engine_add_stream(host, id.data(), id.size(), "", 1.0, &err), BERTH_OK) << text_of(err);
  }
  ASSERT_EQ(berth_engine_flush(host, &err), BERTH_OK) << text_of(err);
  // Streams moving back to it stay with the served server until it releases them (nobody does
  // here): every stream is held, by one server.
  until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until && (held_by(routed) == 0 || held_by(served) + held_by(routed) < 2 * kStreams))
    std::this_thread::sleep_for(20ms);
  EXPECT_GT(held_by(routed), 0) << "opening the feed did not bring the server any grant";
  EXPECT_EQ(held_by(served) + held_by(routed), 2 * kStreams);
  berth_ownership_close(routed);
  berth_ownership_close(served);
  berth_engine_close(host);
  berth_engine_close(leader);
}

TEST(OwnershipCluster, SoftHandOffsThatGrantBeforeTheReleaseAreCaughtByTheChecker) {
  // A schedule moves streams at random moments; a soft hand-off overlaps only when the old host
  // is still serving as the new one starts, so a loaded machine may need more than one schedule.
  uint64_t overlaps = 0;
  for (uint32_t seed = 1; seed <= 4 && overlaps == 0; ++seed) overlaps += run_schedule(seed, true, 1000, 3s).verdict.overlaps;
  EXPECT_GT(overlaps, 0u) << "the checker saw no overlap in 4 schedules where soft hand-offs must make some";
}

}  // namespace
}  // namespace berth::testing
