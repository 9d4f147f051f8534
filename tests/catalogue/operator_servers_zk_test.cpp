// Servers an operator manages on a real ZooKeeper server (tests/zookeeper's harness), three
// engines with a digest credential:
// - a server set draining or read-only from any node takes no new stream on any node from the
//   first version that shows it; the time from the call to the last node installing that version
//   is printed (median, p99) for the record;
// - a client without the credential cannot change servers: its submit fails, nothing changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "berth/abi.h"
#include "common/error.h"
#include "engine/engine.h"
#include "engine/intake.h"
#include "plugin/loader.h"
#include "zookeeper/zk_harness.h"

namespace berth {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kCredential = "berth:s3cret";
constexpr int kNodes = 3;
constexpr int kServers = 5;

class OperatorServersZk : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new test::ZkServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  Options options(const std::string& node, bool campaign) const {
    Options o;
    o.set("backend.name", "zookeeper");
    o.set("backend.connect", server_->connect_string());
    o.set("backend.root", root_);
    o.set("backend.session_timeout", "4s");
    o.set("backend.auth", kCredential);
    o.set("policy.name", "least_load");
    o.set("engine.node_id", node);
    o.set("engine.campaign", campaign ? "true" : "false");
    o.set("engine.refresh_interval", "1h");
    o.set("engine.intake_flush", "2ms");
    // Stream changes wait this long before a refresh; a drain or a seal must not. Long, so that
    // a drain waiting for it stands apart from one slowed by a sanitizer or a loaded machine.
    o.set("engine.intake_refresh_delay", "5s");
    return o;
  }

  void SetUp() override {
    static int counter = 0;
    root_ = "/berth-servers-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    fleet_ = std::make_unique<Engine>(options("fleet", false).resolve());
    for (int i = 0; i < kServers; ++i) fleet_->join("server-" + std::to_string(i), 1.0);
    for (int i = 0; i < 200; ++i) fleet_->add_stream("stream-" + std::to_string(i), "", 1.0);
    fleet_->flush();
    for (int i = 0; i < kNodes; ++i) nodes_.push_back(std::make_unique<Engine>(options("node-" + std::to_string(i), true).resolve()));
    ASSERT_TRUE(wait_for([&] { return leader() != nullptr; }, 20s)) << "no leader";
    leader()->refresh();
    converge(leader()->status().version);
  }

  Engine* leader() {
    for (auto& n : nodes_)
      if (n->status().is_leader) return n.get();
    return nullptr;
  }
  void converge(uint64_t version) {
    for (auto& n : nodes_) n->wait_version(version, 20s);
  }
  template <class Pred>
  static bool wait_for(Pred pred, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!pred()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  static int32_t state_of(const Snapshot& s, std::string_view id) {
    for (uint32_t i = 0; i < s.server_count(); ++i)
      if (s.servers->ids.at(i) == id) return s.servers->state[i];
    return -1;
  }

  static test::ZkServer* server_;
  std::string root_;
  std::unique_ptr<Engine> fleet_;
  std::vector<std::unique_ptr<Engine>> nodes_;
};

test::ZkServer* OperatorServersZk::server_ = nullptr;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

TEST_F(OperatorServersZk, DrainedOrSealedServerTakesNoNewStreamOnAnyNodeFromTheFirstVersionShowingIt) {
  constexpr int kRepetitions = 20;
  std::vector<double> latency_ms;
  std::vector<uint64_t> versions_taken;
  for (int rep = 0; rep < kRepetitions; ++rep) {
    const std::string target = "server-" + std::to_string(rep % kServers);
    const int32_t state = rep % 2 == 0 ? BERTH_SERVER_DRAINING : BERTH_SERVER_READ_ONLY;
    Engine& caller = *nodes_[static_cast<size_t>(rep % kNodes)];  // the leader or a follower
    const uint64_t before = caller.status().version;
    ServerChange change;
    change.id = target;
    change.fields = kServerSetState;
    change.state = state;

    const auto started = Clock::now();
    caller.set_server(change);
    std::vector<Clock::time_point> shown(kNodes);
    std::vector<uint64_t> first_version(kNodes, 0);
    int pending = kNodes;
    const auto deadline = started + 20s;
    while (pending > 0 && Clock::now() < deadline) {
      for (int n = 0; n < kNodes; ++n) {
        if (first_version[n] != 0) continue;
        auto s = nodes_[n]->snapshot();
        if (state_of(*s, target) != state) continue;
        shown[n] = Clock::now();
        first_version[n] = s->meta.version;
        --pending;
      }
      std::this_thread::sleep_for(100us);
    }
    ASSERT_EQ(pending, 0) << "repetition " << rep << ": not every node showed " << target << " in 20 s";
    latency_ms.push_back(std::chrono::duration<double, std::milli>(*std::max_element(shown.begin(), shown.end()) - started).count());
    versions_taken.push_back(*std::max_element(first_version.begin(), first_version.end()) - before);

    // On every node, whatever it serves now (the version showing the state, or a newer one).
    for (int n = 0; n < kNodes; ++n) {
      auto s = nodes_[n]->snapshot();
      ASSERT_EQ(state_of(*s, target), state);
      for (int i = 0; i < 1000; ++i) {
        const std::string stream = "new-" + std::to_string(rep) + "-" + std::to_string(n) + "-" + std::to_string(i);
        ASSERT_NE(std::string(nodes_[n]->lookup(stream)), target) << "node-" << n << " placed " << stream << " on "
                                                                  << target << " (" << (state == 1 ? "draining" : "read-only") << ")";
      }
    }
    // Back to what its member says, before the next repetition.
    nodes_[0]->remove_server(target);
    nodes_[0]->flush();
    ASSERT_NE(leader(), nullptr);
    leader()->refresh();  // not a drain: it would wait for intake_refresh_delay
    ASSERT_TRUE(wait_for(
        [&] {
          for (auto& node : nodes_)
            if (state_of(*node->snapshot(), target) != BERTH_SERVER_UP) return false;
          return true;
        },
        20s))
        << "repetition " << rep << ": " << target << " did not come back up";
  }
  std::printf("[ figure ] drain/seal -> last of %d nodes installs the version showing it, %d repetitions on ZooKeeper: "
              "median %.2f ms, p99 %.2f ms, max %.2f ms (intake_refresh_delay 5 s); versions taken: max %llu\n",
              kNodes, kRepetitions, percentile(latency_ms, 0.5), percentile(latency_ms, 0.99),
              *std::max_element(latency_ms.begin(), latency_ms.end()),
              static_cast<unsigned long long>(*std::max_element(versions_taken.begin(), versions_taken.end())));
  EXPECT_LT(percentile(latency_ms, 0.5), 2500.0) << "a drain or a seal does not wait for intake_refresh_delay (5 s)";
}

TEST_F(OperatorServersZk, WithoutTheCredentialNobodyChangesServers) {
  Engine& l = *leader();
  const uint64_t before_version = l.status().version;
  auto before = l.snapshot();
  PluginRegistry registry;
  for (const std::string& auth : {std::string(), std::string("berth:wrong")}) {
    SCOPED_TRACE(auth.empty() ? "no credential" : "a wrong credential");
    std::vector<PluginConfig::Entry> entries = {{"connect", server_->connect_string(), "test"}, {"root", root_, "test"}};
    if (!auth.empty()) entries.push_back({"auth", auth, "test"});
    ServerChange seal;
    seal.id = "server-0";
    seal.fields = kServerSetState | kServerSetRegister;
    seal.state = BERTH_SERVER_READ_ONLY;
    std::string batch;
    append_intake(batch, IntakeOp::server_set, seal.id, server_change_payload(seal), std::numeric_limits<double>::quiet_NaN());
    // Without a credential the open succeeds read-only and the submit is refused; with a wrong
    // one the open itself is refused (the digest id on the root is not this credential's).
    try {
      Backend intruder(registry.load(BERTH_PLUGIN_BACKEND, "zookeeper"), PluginConfig("backend", std::move(entries)), nullptr);
      intruder.submit(batch);
      ADD_FAILURE() << "a submit without the credential went through";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_PERMISSION) << e.what();
    }
  }
  l.refresh();
  auto after = l.snapshot();
  EXPECT_GT(after->meta.version, before_version);
  EXPECT_FALSE(after->operator_servers) << "no operator entry came from the intruders";
  EXPECT_EQ(state_of(*after, "server-0"), BERTH_SERVER_UP);

  // The same change from a node holding the credential goes through.
  ServerChange seal;
  seal.id = "server-0";
  seal.fields = kServerSetState;
  seal.state = BERTH_SERVER_READ_ONLY;
  nodes_[1]->set_server(seal);
  ASSERT_TRUE(wait_for([&] { return state_of(*l.snapshot(), "server-0") == BERTH_SERVER_READ_ONLY; }, 20s));
}

}  // namespace
}  // namespace berth
