// /healthz answers 503 while an engine cannot reach its backend: a ZooKeeper backend (a real
// server, tests/zookeeper's harness) cut off from its server by a proxy, served by the real
// libberth_metrics_http.so; and 200 again once the proxy lets it through.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "berth/berth.h"
#include "berth/metrics_http.h"
#include "metrics/metrics_test_support.h"
#include "zookeeper/tcp_proxy.h"
#include "zookeeper/zk_harness.h"

namespace {

using berth::test::eventually;
using berth::test::get;
using berth::test::Outcome;

bool is_degraded(berth_engine* engine) {
  berth_engine_status st{};
  st.struct_size = sizeof st;
  return berth_engine_status_get(engine, &st, nullptr) == BERTH_OK && st.degraded != 0;
}

TEST(HealthzWhileDegraded, Answers503NamingTheCutOffEngineThen200OnceItReconnects) {
  berth::test::ZkServer server;
  berth::test::TcpProxy proxy(server.host(), server.port());
  berth_options* o = nullptr;
  ASSERT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
  std::unique_ptr<berth_options, void (*)(berth_options*)> options(o, berth_options_free);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"backend.name", "zookeeper"},
                                   {"backend.connect", proxy.connect_string()},
                                   {"backend.root", "/healthz-degraded"},
                                   // Longer than the cut below: the session outlives it.
                                   {"backend.session_timeout", "4s"},
                                   {"engine.node_id", "healthz-zk"}})
    ASSERT_EQ(berth_options_set(o, key.c_str(), value.c_str(), nullptr), BERTH_OK) << key;
  berth_engine* e = nullptr;
  berth_error* err = nullptr;
  ASSERT_EQ(berth_engine_open(o, &e, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
  std::unique_ptr<berth_engine, void (*)(berth_engine*)> engine(e, berth_engine_close);
  berth_metrics_server* s = nullptr;
  ASSERT_EQ(berth_metrics_server_start(nullptr, 0, &s, nullptr), BERTH_OK);
  std::unique_ptr<berth_metrics_server, void (*)(berth_metrics_server*)> endpoint(s, berth_metrics_server_stop);
  const std::string healthz = "http://127.0.0.1:" + std::to_string(berth_metrics_server_port(s)) + "/healthz";

  Outcome ok;
  ASSERT_TRUE(eventually([&] { return (ok = get(healthz)).out.rfind("200\n", 0) == 0; })) << ok.out;
  EXPECT_NE(ok.out.find("\"status\":\"ok\""), std::string::npos) << ok.out;

  proxy.set_blocked(true);
  ASSERT_TRUE(eventually([&] { return is_degraded(engine.get()); })) << "the engine never noticed the cut";
  Outcome degraded = get(healthz);
  EXPECT_EQ(degraded.out.rfind("503\n", 0), 0u) << degraded.out;
  EXPECT_NE(degraded.out.find("\"status\":\"degraded\""), std::string::npos) << degraded.out;
  EXPECT_NE(degraded.out.find("{\"degraded\":true,"), std::string::npos) << degraded.out;
  EXPECT_NE(degraded.out.find("\"node\":\"healthz-zk\""), std::string::npos) << degraded.out;

  proxy.set_blocked(false);
  Outcome healed;
  EXPECT_TRUE(eventually([&] { return (healed = get(healthz)).out.rfind("200\n", 0) == 0; })) << healed.out;
}

}  // namespace
