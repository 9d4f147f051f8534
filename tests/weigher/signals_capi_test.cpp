// Dynamic weights through the real libberth.so: berth_engine_report_signal's checks, and a
// snapshot's weigher, server weights and signals.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>

#include "../capi/capi_test_support.h"
#include "berth/berth.h"

namespace {

using berth_capi_test::failure_of;
using berth_capi_test::Failure;
using berth_capi_test::text_of;

struct Engine {
  berth_options* options = nullptr;
  berth_engine* engine = nullptr;
  explicit Engine(bool weigh) {
    static int n = 0;
    const std::string cluster = "signals-capi-" + std::to_string(getpid()) + "-" + std::to_string(n++);
    EXPECT_EQ(berth_options_new(&options, nullptr), BERTH_OK);
    set("backend.cluster", cluster.c_str());
    set("engine.node_id", "capi");
    set("engine.refresh_on_change", "false");
    set("engine.intake_refresh_delay", "0");
    if (weigh) {
      set("weigher.name", "marconi");
      set("weigher.smoothing", "1");
    }
    berth_error* err = nullptr;
    EXPECT_EQ(berth_engine_open(options, &engine, &err), BERTH_OK) << text_of(err);
  }
  ~Engine() {
    berth_engine_close(engine);
    berth_options_free(options);
  }
  void set(const char* k, const char* v) { EXPECT_EQ(berth_options_set(options, k, v, nullptr), BERTH_OK) << k; }
  void refresh_as_leader() {
    berth_engine_status st{};
    st.struct_size = sizeof st;
    for (int i = 0; i < 5000 && !(berth_engine_status_get(engine, &st, nullptr) == BERTH_OK && st.is_leader); ++i) usleep(1000);
    ASSERT_TRUE(st.is_leader);
    ASSERT_EQ(berth_engine_flush(engine, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_refresh(engine, nullptr), BERTH_OK);
  }
};

berth_engine* current = nullptr;  // the engine the cases below report to

TEST(SignalsCApi, BadReportsAreRefusedNamingTheFunctionAndWhat) {
  Engine e(true);
  current = e.engine;
  const std::pair<int32_t (*)(berth_error**), const char*> cases[] = {
      {[](berth_error** err) { return berth_engine_report_signal(current, nullptr, "cpu_load", 1, err); }, "server_id is NULL"},
      {[](berth_error** err) { return berth_engine_report_signal(current, "", "cpu_load", 1, err); }, "server_id is empty"},
      {[](berth_error** err) { return berth_engine_report_signal(current, "s", nullptr, 1, err); }, "name is NULL"},
      {[](berth_error** err) { return berth_engine_report_signal(current, "s", "", 1, err); }, "signal name is empty"},
      {[](berth_error** err) {
         return berth_engine_report_signal(current, "s", std::string(200, 'x').c_str(), 1, err);
       },
       "more than 64"},
      {[](berth_error** err) {
         return berth_engine_report_signal(current, "s", "cpu_load", std::numeric_limits<double>::quiet_NaN(), err);
       },
       "not finite"},
      {[](berth_error** err) { return berth_engine_report_signal(nullptr, "s", "cpu_load", 1, err); }, "engine is NULL"},
  };
  for (const auto& [call, needle] : cases) {
    const Failure f = failure_of(call);
    EXPECT_EQ(f.code, BERTH_E_INVALID_ARGUMENT);
    const std::string& m = f.message;
    EXPECT_NE(m.find("berth_engine_report_signal"), std::string::npos) << m;
    EXPECT_NE(m.find(needle), std::string::npos) << needle << " not in: " << m;
  }
}

TEST(SignalsCApi, ASnapshotTellsEachServersWeightAndSignals) {
  Engine e(true);
  ASSERT_EQ(berth_engine_join(e.engine, "a", 2.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_join(e.engine, "b", 2.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_report_signal(e.engine, "b", "cpu_load", 1.5, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_report_signal(e.engine, "b", "free_capacity", 0.25, nullptr), BERTH_OK);
  e.refresh_as_leader();
  berth_snapshot* s = nullptr;
  ASSERT_EQ(berth_engine_snapshot(e.engine, &s, nullptr), BERTH_OK);
  EXPECT_STREQ(berth_snapshot_weigher(s), "marconi");
  double configured = 0, factor = 0, capacity = 0;
  uint32_t count = 9;
  ASSERT_EQ(berth_snapshot_server_weight(s, 0, &configured, &factor, &count, nullptr), BERTH_OK);
  EXPECT_EQ(configured, 2.0);
  EXPECT_EQ(factor, 1.0);
  EXPECT_EQ(count, 0u);
  ASSERT_EQ(berth_snapshot_server_weight(s, 1, &configured, &factor, &count, nullptr), BERTH_OK);
  ASSERT_EQ(berth_snapshot_server(s, 1, nullptr, &capacity, nullptr, nullptr, nullptr), BERTH_OK);
  EXPECT_EQ(configured, 2.0);
  EXPECT_LT(factor, 0.5);  // (1 + 1) / (1 + 3) x (0.1 + 0.9 x 0.25) / 0.55
  EXPECT_DOUBLE_EQ(capacity, configured * factor);
  ASSERT_EQ(count, 2u);
  const char* name = nullptr;
  double value = 0;
  ASSERT_EQ(berth_snapshot_server_signal(s, 1, 0, &name, &value, nullptr), BERTH_OK);
  EXPECT_STREQ(name, "cpu_load");
  EXPECT_EQ(value, 1.5);
  ASSERT_EQ(berth_snapshot_server_signal(s, 1, 1, &name, &value, nullptr), BERTH_OK);
  EXPECT_STREQ(name, "free_capacity");
  const Failure past_signals =
      failure_of([&](berth_error** err) { return berth_snapshot_server_signal(s, 1, 2, &name, &value, err); });
  EXPECT_EQ(past_signals.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(past_signals.message.find("signal 2 of server 'b' is out of range (2 signals)"), std::string::npos)
      << past_signals.message;
  const Failure past_servers =
      failure_of([&](berth_error** err) { return berth_snapshot_server_weight(s, 2, &configured, &factor, &count, err); });
  EXPECT_EQ(past_servers.code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_NE(past_servers.message.find("index 2 is out of range (2 servers)"), std::string::npos) << past_servers.message;
  berth_snapshot_release(s);
}

TEST(SignalsCApi, WithoutAWeigherFactorsAreOneAndThereIsNoWeigher) {
  Engine e(false);
  ASSERT_EQ(berth_engine_join(e.engine, "a", 3.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_report_signal(e.engine, "a", "cpu_load", 1.5, nullptr), BERTH_OK);
  e.refresh_as_leader();
  berth_snapshot* s = nullptr;
  ASSERT_EQ(berth_engine_snapshot(e.engine, &s, nullptr), BERTH_OK);
  EXPECT_EQ(berth_snapshot_weigher(s), nullptr);
  double configured = 0, factor = 0;
  uint32_t count = 9;
  ASSERT_EQ(berth_snapshot_server_weight(s, 0, &configured, &factor, &count, nullptr), BERTH_OK);
  EXPECT_EQ(configured, 3.0);
  EXPECT_EQ(factor, 1.0);
  EXPECT_EQ(count, 0u);
  berth_snapshot_release(s);
}

}  // namespace
