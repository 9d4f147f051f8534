// Engines on a fresh in-memory cluster, with the real built-in plugins.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/options.h"
#include "engine/engine.h"

namespace berth::testing {

using namespace std::chrono_literals;

inline std::string unique_cluster(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

struct NodeSpec {
  std::string node_id;
  std::string backend = "memory";  // a built-in name, or a plugin's path
  bool campaign = true;
  std::string policy = "least_load";
  std::string appraiser = "reported";
  bool refresh_on_change = false;
  std::string refresh_interval = "1h";
};

// The settings of a node as `spec` describes it, for a test that adds settings of its own.
inline Options node_options(const std::string& cluster, const NodeSpec& spec) {
  Options o;
  o.set("backend.name", spec.backend);
  o.set("backend.cluster", cluster);
  o.set("policy.name", spec.policy);
  o.set("appraiser.name", spec.appraiser);
  o.set("engine.node_id", spec.node_id);
  o.set("engine.campaign", spec.campaign ? "true" : "false");
  o.set("engine.refresh_on_change", spec.refresh_on_change ? "true" : "false");
  o.set("engine.refresh_interval", spec.refresh_interval);
  o.set("engine.intake_flush", "2ms");
  o.set("engine.intake_refresh_delay", "0");  // versions only where a test refreshes
  return o;
}

inline std::unique_ptr<Engine> open_node(const std::string& cluster, const NodeSpec& spec) {
  return std::make_unique<Engine>(node_options(cluster, spec).resolve());
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

// Leads, and the refresh it makes on election is published: a test that counts versions starts
// here, since that refresh may otherwise land after the test's own first one.
inline bool leads_past_its_election_refresh(const Engine& e) {
  EngineMetrics m = e.metrics();
  return m.is_leader && m.refresh_ok > 0;
}

// A fleet engine (servers and stream-reporting hosts, never leads) plus `nodes` campaigning
// engines, the first of which leads.
class ClusterFixture : public ::testing::Test {
 protected:
  void start(int nodes, NodeSpec spec = {}) {
    cluster_ = unique_cluster("engine-test");
    NodeSpec fleet = spec;
    fleet.node_id = "fleet";
    fleet.campaign = false;
    fleet_ = open_node(cluster_, fleet);
    for (int i = 0; i < nodes; ++i) {
      NodeSpec n = spec;
      n.node_id = "node-" + std::to_string(i);
      nodes_.push_back(open_node(cluster_, n));
    }
  }

  Engine& leader() {
    Engine* found = nullptr;
    EXPECT_TRUE(eventually([&] {
      for (auto& n : nodes_)
        if (n && n->status().is_leader) found = n.get();
      return found != nullptr;
    })) << "no leader emerged";
    return *found;
  }

  void add_servers(int count, const std::string& prefix = "server-") {
    for (int i = 0; i < count; ++i) fleet_->join(prefix + std::to_string(i), 1.0);
  }
  // Servers whose host serves them (their claims opened), so the leader grants them streams.
  void add_served_servers(int count, const std::string& prefix = "server-") {
    for (int i = 0; i < count; ++i) {
      fleet_->join(prefix + std::to_string(i), 1.0);
      fleet_->claims(prefix + std::to_string(i));
    }
  }

  void add_streams(int count, double load = 1.0, const std::string& prefix = "stream-") {
    for (int i = 0; i < count; ++i) fleet_->add_stream(prefix + std::to_string(i), "", load);
    fleet_->flush();
  }

  // Refreshes on the leader and waits until every node serves the new version.
  uint64_t refresh_and_converge() {
    Engine& l = leader();
    l.refresh();
    uint64_t v = l.status().version;
    for (auto& n : nodes_)
      if (n) n->wait_version(v, 30s);
    return v;
  }

  std::string cluster_;
  std::unique_ptr<Engine> fleet_;
  std::vector<std::unique_ptr<Engine>> nodes_;
};

}  // namespace berth::testing
