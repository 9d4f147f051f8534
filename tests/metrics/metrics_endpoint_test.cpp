// The metrics of a process with two engines, through the real libberth.so: one text that
// promtool accepts (where the two engines' own texts, concatenated, are refused), and the HTTP
// endpoint scraped with Python's urllib.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "berth/berth.h"
#include "berth/metrics_http.h"
#include "metrics/metrics_test_support.h"

namespace {

using berth::test::eventually;
using berth::test::get;
using berth::test::Outcome;
using berth::test::promtool;

std::string text_of(int32_t (*call)(char**, berth_error**)) {
  char* text = nullptr;
  EXPECT_EQ(call(&text, nullptr), BERTH_OK);
  std::string out = text != nullptr ? text : "";
  berth_string_free(text);
  return out;
}

std::string engine_text(berth_engine* e) {
  char* text = nullptr;
  EXPECT_EQ(berth_engine_metrics_text(e, &text, nullptr), BERTH_OK);
  std::string out = text != nullptr ? text : "";
  berth_string_free(text);
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

berth_engine* open_engine(const std::string& cluster, const char* node) {
  berth_options* o = nullptr;
  EXPECT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
  EXPECT_EQ(berth_options_set(o, "backend.cluster", cluster.c_str(), nullptr), BERTH_OK);
  EXPECT_EQ(berth_options_set(o, "engine.node_id", node, nullptr), BERTH_OK);
  EXPECT_EQ(berth_options_set(o, "appraiser.name", "reported", nullptr), BERTH_OK);
  berth_engine* e = nullptr;
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_open(o, &e, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
  berth_error_free(err);
  berth_options_free(o);
  return e;
}

// Two engines of one cluster: a leader that published a version with 3 servers and 20 streams,
// and a follower serving it.
class TwoEngines : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string cluster = "metrics-" + std::to_string(getpid());
    a_ = open_engine(cluster, "metrics-a");
    ASSERT_NE(a_, nullptr);
    berth_engine_status st{};
    st.struct_size = sizeof st;
    ASSERT_TRUE(eventually([&] { return berth_engine_status_get(a_, &st, nullptr) == BERTH_OK && st.is_leader; }));
    b_ = open_engine(cluster, "metrics-b");
    ASSERT_NE(b_, nullptr);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(berth_engine_join(a_, ("srv-" + std::to_string(i)).c_str(), 1.0, nullptr), BERTH_OK);
    for (int i = 0; i < 20; ++i) {
      std::string s = "s" + std::to_string(i);
      ASSERT_EQ(berth_engine_add_stream(a_, s.data(), s.size(), "", 1.0 + i, nullptr), BERTH_OK);
    }
    ASSERT_EQ(berth_engine_flush(a_, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_refresh(a_, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_status_get(a_, &st, nullptr), BERTH_OK);
    ASSERT_EQ(berth_engine_wait_version(b_, st.version, 10000, nullptr), BERTH_OK);
  }
  void TearDown() override {
    berth_engine_close(b_);
    berth_engine_close(a_);
  }
  berth_engine* a_ = nullptr;
  berth_engine* b_ = nullptr;
};

TEST_F(TwoEngines, ProcessTextPassesPromtoolWithEachFamilyOnceAndBothNodes) {
  std::string text = text_of(berth_metrics_text_all);
  Outcome check = promtool("all.prom", text);
  EXPECT_EQ(check.status, 0) << check.out << "\n" << text;
  EXPECT_EQ(count(text, "# HELP berth_snapshot_version "), 1u);
  EXPECT_EQ(count(text, "# TYPE berth_server_load gauge"), 1u);
  EXPECT_EQ(count(text, "berth_build_info{version=\""), 1u) << text;
  EXPECT_NE(text.find("berth_snapshot_version{node=\"metrics-a\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_snapshot_version{node=\"metrics-b\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_is_leader{node=\"metrics-a\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_is_leader{node=\"metrics-b\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_server_streams{node=\"metrics-b\",server=\"srv-2\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_refresh_duration_seconds_count{node=\"metrics-a\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_publication_duration_seconds_bucket{node=\"metrics-a\",le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(text.find("# TYPE berth_moved_streams_total counter"), std::string::npos);
  EXPECT_NE(text.find("berth_new_streams_total{node=\"metrics-a\"} 20\n"), std::string::npos) << text;
}

TEST_F(TwoEngines, PromtoolRefusesWhatTheCheckGuardsAgainst) {
  // The two engines' own texts one after the other repeat every HELP: not one valid text.
  Outcome twice = promtool("twice.prom", engine_text(a_) + engine_text(b_));
  EXPECT_NE(twice.status, 0) << "concatenated engine texts passed:\n" << twice.out;
  // A gauge ending in _total and an abbreviated unit fail the lint.
  Outcome lint = promtool("lint.prom",
                      "# HELP berth_load_total Total load.\n# TYPE berth_load_total gauge\nberth_load_total 1\n"
                      "# HELP berth_refresh_duration_ms Last refresh.\n# TYPE berth_refresh_duration_ms gauge\n"
                      "berth_refresh_duration_ms 2\n");
  EXPECT_NE(lint.status, 0) << lint.out;
  // One engine's text alone is valid.
  Outcome one = promtool("one.prom", engine_text(b_));
  EXPECT_EQ(one.status, 0) << one.out;
}

// A stop right after a start ends the endpoint (the listening thread may not have begun yet).
TEST(MetricsEndpoint, StopRightAfterStartReturnsEveryTime) {
  for (int i = 0; i < 200; ++i) {
    berth_metrics_server* server = nullptr;
    berth_error* err = nullptr;
    ASSERT_EQ(berth_metrics_server_start(nullptr, 0, &server, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
    ASSERT_NE(berth_metrics_server_port(server), 0) << "round " << i;
    berth_metrics_server_stop(server);
  }
}

// A server id with a quote, a backslash, a newline and a byte that is not UTF-8 leaves the text
// valid: promtool accepts it and the id appears escaped.
TEST_F(TwoEngines, AnOddServerIdKeepsTheTextValid) {
  ASSERT_EQ(berth_engine_join(a_, "odd\"\\\n\xff", 1.0, nullptr), BERTH_OK);
  ASSERT_EQ(berth_engine_refresh(a_, nullptr), BERTH_OK);
  std::string text = text_of(berth_metrics_text_all);
  EXPECT_NE(text.find("server=\"odd\\\"\\\\\\n\\\\xff\""), std::string::npos) << text;
  Outcome check = promtool("odd.prom", text);
  EXPECT_EQ(check.status, 0) << check.out << "\n" << text;
}

// /healthz answers when a node id is not UTF-8: the odd byte becomes U+FFFD.
TEST_F(TwoEngines, HealthAnswersForANodeIdThatIsNotUtf8) {
  berth_engine* odd = open_engine("metrics-odd-" + std::to_string(getpid()), "odd-\xff-node");
  ASSERT_NE(odd, nullptr);
  berth_metrics_server* server = nullptr;
  ASSERT_EQ(berth_metrics_server_start(nullptr, 0, &server, nullptr), BERTH_OK);
  const std::string base = "http://127.0.0.1:" + std::to_string(berth_metrics_server_port(server));
  Outcome health = get(base + "/healthz");
  berth_metrics_server_stop(server);
  berth_engine_close(odd);
  EXPECT_EQ(health.status, 0) << health.out;
  EXPECT_NE(health.out.find("\"node\":\"odd-\xef\xbf\xbd-node\""), std::string::npos) << health.out;
}

TEST_F(TwoEngines, EndpointServesMetricsAndHealthOnLoopback) {
  berth_metrics_server* server = nullptr;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_metrics_server_start(nullptr, 0, &server, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
  const uint16_t port = berth_metrics_server_port(server);
  ASSERT_NE(port, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  Outcome metrics = get(base + "/metrics");
  ASSERT_EQ(metrics.status, 0) << metrics.out;
  ASSERT_EQ(metrics.out.rfind("200\n", 0), 0u) << metrics.out;
  std::string body = metrics.out.substr(4);
  Outcome check = promtool("served.prom", body);
  EXPECT_EQ(check.status, 0) << check.out << "\n" << body;
  EXPECT_NE(body.find("node=\"metrics-a\""), std::string::npos);
  EXPECT_NE(body.find("node=\"metrics-b\""), std::string::npos);

  Outcome health = get(base + "/healthz");
  ASSERT_EQ(health.out.rfind("200\n", 0), 0u) << health.out;
  EXPECT_NE(health.out.find("\"status\":\"ok\""), std::string::npos) << health.out;
  EXPECT_NE(health.out.find("{\"degraded\":false,\"epoch\":"), std::string::npos) << health.out;
  EXPECT_NE(health.out.find("\"leader\":true,\"node\":\"metrics-a\""), std::string::npos) << health.out;
  EXPECT_NE(health.out.find("\"leader\":false,\"node\":\"metrics-b\""), std::string::npos) << health.out;

  Outcome missing = get(base + "/nothing");
  EXPECT_EQ(missing.out.rfind("404\n", 0), 0u) << missing.out;

  // A second endpoint cannot take the same port, and says which.
  berth_metrics_server* second = nullptr;
  EXPECT_EQ(berth_metrics_server_start("127.0.0.1", port, &second, &err), BERTH_E_UNAVAILABLE);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(std::string(err ? berth_error_message(err) : "").find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  berth_error_free(err);

  // With every engine closed the endpoint answers unhealthy.
  berth_engine_close(b_);
  berth_engine_close(a_);
  a_ = b_ = nullptr;
  Outcome none = get(base + "/healthz");
  EXPECT_EQ(none.out.rfind("503\n", 0), 0u) << none.out;
  EXPECT_NE(none.out.find("\"status\":\"no engine\""), std::string::npos) << none.out;
  berth_metrics_server_stop(server);

  // Stopped: nothing listens there any more.
  Outcome after = get(base + "/metrics");
  EXPECT_NE(after.status, 0) << after.out;
}

}  // namespace
