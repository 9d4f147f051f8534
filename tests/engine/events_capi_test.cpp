// The polled event queue of the host C API (berth_events_*) through the real libberth.so:
// version events on a follower, coalescing, leadership on resign, and closing the engine under a
// waiting poll.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "berth/berth.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string fresh_cluster() {
  static int n = 0;
  return "events-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

std::string message(berth_error* err) {
  std::string m = err != nullptr ? berth_error_message(err) : "";
  berth_error_free(err);
  return m;
}

// One engine on a memory cluster, closed at the end of the test unless closed before.
struct Node {
  berth_engine* engine = nullptr;
  Node(const std::string& cluster, const char* id, bool campaign = true) {
    berth_options* o = nullptr;
    EXPECT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
    EXPECT_EQ(berth_options_set(o, "backend.cluster", cluster.c_str(), nullptr), BERTH_OK);
    EXPECT_EQ(berth_options_set(o, "engine.node_id", id, nullptr), BERTH_OK);
    EXPECT_EQ(berth_options_set(o, "engine.refresh_on_change", "false", nullptr), BERTH_OK);
    EXPECT_EQ(berth_options_set(o, "engine.campaign", campaign ? "true" : "false", nullptr), BERTH_OK);
    berth_error* err = nullptr;
    EXPECT_EQ(berth_engine_open(o, &engine, &err), BERTH_OK) << message(err);
    berth_options_free(o);
  }
  ~Node() { close(); }
  void close() {
    berth_engine_close(engine);
    engine = nullptr;
  }
  berth_engine_status status() const {
    berth_engine_status st{};
    st.struct_size = sizeof st;
    EXPECT_EQ(berth_engine_status_get(engine, &st, nullptr), BERTH_OK);
    return st;
  }
  bool wait_leader() const {
    for (int i = 0; i < 5000; ++i) {
      if (status().is_leader) return true;
      usleep(1000);
    }
    return false;
  }
};

struct Events {
  berth_events* handle = nullptr;
  explicit Events(berth_engine* engine) {
    berth_error* err = nullptr;
    EXPECT_EQ(berth_events_open(engine, &handle, &err), BERTH_OK) << message(err);
  }
  ~Events() { berth_events_close(handle); }
  berth_event poll(uint32_t timeout_ms) {
    berth_event e{};
    e.struct_size = sizeof e;
    berth_error* err = nullptr;
    EXPECT_EQ(berth_events_poll(handle, timeout_ms, &e, &err), BERTH_OK) << message(err);
    return e;
  }
  // The next event of `kind`, skipping others (a new leader also publishes, for instance).
  berth_event next(int32_t kind, uint32_t timeout_ms = 5000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      berth_event e = poll(100);
      if (e.kind == kind) return e;
    }
    ADD_FAILURE() << "no event of kind " << kind << " within " << timeout_ms << " ms";
    return berth_event{};
  }
};

TEST(Events, FollowerSeesTheLeadersRefreshAsOneVersionEvent) {
  std::string cluster = fresh_cluster();
  Node leader(cluster, "leader");
  Node follower(cluster, "follower", /*campaign=*/false);
  ASSERT_TRUE(leader.wait_leader());
  ASSERT_EQ(berth_engine_join(leader.engine, "srv-a", 1.0, nullptr), BERTH_OK);
  // The new leader's own first refresh is done (it would race with ours), and the follower has
  // seen the election and that version: no event is pending when the queue opens.
  auto settled = [&] {
    berth_metrics m{};
    m.struct_size = sizeof m;
    EXPECT_EQ(berth_engine_metrics_get(leader.engine, &m, nullptr), BERTH_OK);
    berth_engine_status l = leader.status(), f = follower.status();
    return m.refresh_ok + m.refresh_failed > 0 && f.version == l.version && f.epoch == l.epoch;
  };
  for (int i = 0; i < 30000 && !settled(); ++i) usleep(1000);
  ASSERT_TRUE(settled()) << "the leader's first refresh or the follower's catch-up took over 30 s";
  Events events(follower.engine);
  EXPECT_EQ(events.poll(0).kind, BERTH_EVENT_NONE);  // nothing happened since open

  uint64_t before = follower.status().version;
  ASSERT_EQ(berth_engine_refresh(leader.engine, nullptr), BERTH_OK);
  berth_event e = events.poll(5000);
  ASSERT_EQ(e.kind, BERTH_EVENT_VERSION);
  EXPECT_EQ(e.old_version, before);
  EXPECT_EQ(e.version, leader.status().version);
  EXPECT_EQ(e.is_leader, 0);
  EXPECT_EQ(e.degraded, 0);

  // A slow consumer: three refreshes while nobody polls coalesce into one event, old -> newest.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(berth_engine_refresh(leader.engine, nullptr), BERTH_OK);
  uint64_t newest = leader.status().version;
  ASSERT_EQ(berth_engine_wait_version(follower.engine, newest, 5000, nullptr), BERTH_OK);
  e = events.poll(1000);
  ASSERT_EQ(e.kind, BERTH_EVENT_VERSION);
  EXPECT_EQ(e.old_version, newest - 3);
  EXPECT_EQ(e.version, newest);
  EXPECT_EQ(events.poll(0).kind, BERTH_EVENT_NONE);
}

TEST(Events, LeadershipGainedAndLostOnResign) {
  std::string cluster = fresh_cluster();
  Node first(cluster, "first");
  ASSERT_TRUE(first.wait_leader());
  Node second(cluster, "second");
  Events on_first(first.engine);
  Events on_second(second.engine);
  uint64_t epoch = first.status().epoch;

  ASSERT_EQ(berth_engine_resign(first.engine, nullptr), BERTH_OK);
  berth_event lost = on_first.next(BERTH_EVENT_LEADERSHIP);
  EXPECT_EQ(lost.is_leader, 0);
  EXPECT_EQ(lost.old_epoch, epoch);

  berth_event gained = on_second.next(BERTH_EVENT_LEADERSHIP);
  if (gained.is_leader == 0) gained = on_second.next(BERTH_EVENT_LEADERSHIP);  // saw the epoch move first
  EXPECT_EQ(gained.is_leader, 1);
  EXPECT_GT(gained.epoch, epoch);
  EXPECT_EQ(second.status().epoch, gained.epoch);
}

TEST(Events, ClosingTheEngineWakesAWaitingPollWithAStateError) {
  auto node = std::make_unique<Node>(fresh_cluster(), "closing", /*campaign=*/false);
  berth_events* events = nullptr;
  ASSERT_EQ(berth_events_open(node->engine, &events, nullptr), BERTH_OK);
  int32_t code = -1;
  std::string text;
  Clock::duration waited{};
  std::thread poller([&] {
    berth_event e{};
    e.struct_size = sizeof e;
    berth_error* err = nullptr;
    auto start = Clock::now();
    code = berth_events_poll(events, 30000, &e, &err);
    waited = Clock::now() - start;
    text = message(err);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the poll is waiting by now
  node->close();
  poller.join();
  EXPECT_EQ(code, BERTH_E_STATE);
  EXPECT_NE(text.find("engine was closed"), std::string::npos) << text;
  EXPECT_LT(waited, std::chrono::seconds(5));

  // Every later poll fails the same way; the queue is still closed safely after the engine.
  berth_event e{};
  e.struct_size = sizeof e;
  EXPECT_EQ(berth_events_poll(events, 0, &e, nullptr), BERTH_E_STATE);
  berth_events_close(events);
}

TEST(Events, BadArgumentsAndTimeouts) {
  Node node(fresh_cluster(), "args", /*campaign=*/false);
  berth_events* events = nullptr;
  EXPECT_EQ(berth_events_open(nullptr, &events, nullptr), BERTH_E_INVALID_ARGUMENT);
  EXPECT_EQ(berth_events_open(node.engine, nullptr, nullptr), BERTH_E_INVALID_ARGUMENT);
  ASSERT_EQ(berth_events_open(node.engine, &events, nullptr), BERTH_OK);
  berth_event e{};
  berth_error* err = nullptr;
  EXPECT_EQ(berth_events_poll(events, 0, &e, &err), BERTH_E_INVALID_ARGUMENT);  // struct_size unset
  EXPECT_NE(message(err).find("struct_size"), std::string::npos);
  EXPECT_EQ(berth_events_poll(nullptr, 0, &e, nullptr), BERTH_E_INVALID_ARGUMENT);
  e.struct_size = sizeof e;
  auto start = Clock::now();
  EXPECT_EQ(berth_events_poll(events, 150, &e, nullptr), BERTH_OK);
  EXPECT_EQ(e.kind, BERTH_EVENT_NONE);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(150));
  berth_events_close(events);
  berth_events_close(nullptr);
}

}  // namespace
