// The event queue's DEGRADED events, end to end on a real ZooKeeper: the engine's connection goes
// through a TCP proxy that is cut (degraded mode entered) and healed (left).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "berth/berth.h"
#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_harness.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string message(berth_error* err) {
  std::string m = err != nullptr ? berth_error_message(err) : "";
  berth_error_free(err);
  return m;
}

TEST(EventsDegraded, APartitionEntersAndLeavesDegradedMode) {
  berth::test::ZkServer server;
  berth::test::TcpProxy proxy(server.host(), server.port());
  berth_options* o = nullptr;
  ASSERT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
  for (auto [k, v] : {std::pair<const char*, std::string>{"backend.name", "zookeeper"},
                      {"backend.connect", proxy.connect_string()},
                      {"backend.root", "/events-degraded"},
                      {"backend.session_timeout", "2s"},
                      {"engine.node_id", "degraded-node"}})
    ASSERT_EQ(berth_options_set(o, k, v.c_str(), nullptr), BERTH_OK) << k;
  berth_engine* engine = nullptr;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_open(o, &engine, &err), BERTH_OK) << message(err);
  berth_options_free(o);
  berth_engine_status st{};
  st.struct_size = sizeof st;
  for (int i = 0; i < 1000 && (berth_engine_status_get(engine, &st, nullptr) != BERTH_OK || !st.is_leader); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(st.is_leader && !st.degraded);

  berth_events* events = nullptr;
  ASSERT_EQ(berth_events_open(engine, &events, nullptr), BERTH_OK);
  auto next_degraded = [&](std::chrono::seconds within) {
    berth_event e{};
    e.struct_size = sizeof e;
    for (auto deadline = Clock::now() + within; Clock::now() < deadline;) {
      EXPECT_EQ(berth_events_poll(events, 100, &e, nullptr), BERTH_OK);
      if (e.kind == BERTH_EVENT_DEGRADED) return e;
    }
    ADD_FAILURE() << "no DEGRADED event within " << within.count() << " s";
    return berth_event{};
  };

  proxy.set_blocked(true);
  berth_event entered = next_degraded(std::chrono::seconds(15));
  EXPECT_EQ(entered.degraded, 1);

  proxy.set_blocked(false);
  berth_event left = next_degraded(std::chrono::seconds(30));
  EXPECT_EQ(left.degraded, 0);

  berth_events_close(events);
  berth_engine_close(engine);
}

}  // namespace
