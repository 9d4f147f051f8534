// The metered appraiser behind the host C API, as an embedder drives it: loads reported with
// berth_engine_report_load reach the snapshot smoothed, one step per refresh, and a stream with
// no new report holds its level (the engine hands the appraiser the stream's previous load).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <vector>

#include "../capi/capi_test_support.h"
#include "berth/berth.h"

namespace {

using berth_capi_test::text_of;

struct Engine {
  berth_options* options = nullptr;
  berth_engine* engine = nullptr;

  Engine() {
    EXPECT_EQ(berth_options_new(&options, nullptr), BERTH_OK);
    set("backend.cluster", ("metered-capi-" + std::to_string(getpid())).c_str());
    set("engine.node_id", "node-0");
    set("engine.refresh_on_change", "false");
    set("appraiser.name", "metered");
    set("appraiser.alpha", "0.5");
    set("appraiser.default_load", "2");
    berth_error* err = nullptr;
    EXPECT_EQ(berth_engine_open(options, &engine, &err), BERTH_OK) << text_of(err);
  }
  ~Engine() {
    berth_engine_close(engine);
    berth_options_free(options);
  }
  void set(const char* key, const char* value) {
    EXPECT_EQ(berth_options_set(options, key, value, nullptr), BERTH_OK) << key;
  }
  bool leading() {
    for (int i = 0; i < 5000; ++i) {
      berth_engine_status status{};
      status.struct_size = sizeof status;
      if (berth_engine_status_get(engine, &status, nullptr) == BERTH_OK && status.is_leader) return true;
      usleep(1000);
    }
    return false;
  }
  // Sends what was recorded, refreshes, and returns each stream's load in the new snapshot.
  std::vector<double> refresh() {
    EXPECT_EQ(berth_engine_flush(engine, nullptr), BERTH_OK);
    berth_error* err = nullptr;
    EXPECT_EQ(berth_engine_refresh(engine, &err), BERTH_OK) << text_of(err);
    berth_snapshot* snapshot = nullptr;
    EXPECT_EQ(berth_engine_snapshot(engine, &snapshot, nullptr), BERTH_OK);
    std::vector<double> load(3, -1.0);
    for (uint64_t i = 0; i < berth_snapshot_stream_count(snapshot); ++i) {
      const char* id = nullptr;
      size_t id_len = 0;
      uint32_t owner = 0;
      double stream_load = 0;
      EXPECT_EQ(berth_snapshot_stream(snapshot, i, &id, &id_len, &owner, &stream_load, nullptr), BERTH_OK);
      const std::string name(id, id_len);
      if (name == "a") load[0] = stream_load;
      if (name == "b") load[1] = stream_load;
      if (name == "c") load[2] = stream_load;
    }
    berth_snapshot_release(snapshot);
    return load;
  }
  void report(const char* stream, double load) {
    EXPECT_EQ(berth_engine_report_load(engine, stream, std::string(stream).size(), load, nullptr), BERTH_OK);
  }
};

TEST(MeteredThroughTheCApi, SmoothsReportedLoadsOneStepPerRefresh) {
  Engine e;
  ASSERT_NE(e.engine, nullptr);
  ASSERT_EQ(berth_engine_join(e.engine, "srv-0", 1.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_add_stream(e.engine, "a", 1, "t", 8.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_add_stream(e.engine, "b", 1, "t", 4.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_add_stream(e.engine, "c", 1, "t", std::nan(""), nullptr), BERTH_OK);
  ASSERT_TRUE(e.leading());
  EXPECT_EQ(e.refresh(), (std::vector<double>{8.0, 4.0, 2.0}));  // first values; c: default_load

  e.report("a", 16.0);
  EXPECT_EQ(e.refresh(), (std::vector<double>{12.0, 4.0, 2.0}));  // half way (alpha 0.5)
  EXPECT_EQ(e.refresh(), (std::vector<double>{12.0, 4.0, 2.0}));  // no new report: holds
  e.report("a", 16.0);
  e.report("c", 6.0);
  EXPECT_EQ(e.refresh(), (std::vector<double>{14.0, 4.0, 4.0}));  // c smooths from its default
}

}  // namespace
