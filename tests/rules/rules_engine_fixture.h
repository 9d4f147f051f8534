// A real engine cluster on the memory backend with a rules file: a fleet engine that joins
// labeled servers and reports streams, and one leader that evaluates the rules.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "engine/engine_fixture.h"
#include "scripting/rule_set.h"

namespace berth::testing {

class RulesEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / unique_cluster("berth-rules");
    std::filesystem::create_directories(dir_);
    rules_file_ = dir_ / "rules.lua";
  }
  void TearDown() override {
    leader_.reset();
    fleet_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Replaces the rules file as operators should: a new file renamed over the old one, so the
  // leader (which looks at the file on its own thread too) never reads half a script.
  void write_rules(const std::string& text) {
    std::filesystem::path next = dir_ / "rules.lua.new";
    std::ofstream(next, std::ios::trunc) << text;
    std::filesystem::rename(next, rules_file_);
  }

  Options base(const std::string& policy) {
    Options o;
    o.set("backend.name", "memory");
    o.set("backend.cluster", cluster_);
    o.set("policy.name", policy);
    o.set("appraiser.name", "reported");
    o.set("engine.refresh_on_change", "false");
    o.set("engine.refresh_interval", "1h");
    o.set("engine.intake_flush", "2ms");
    o.set("engine.intake_refresh_delay", "0");  // versions only where a test refreshes
    return o;
  }

  // Opens the fleet and the leader (with the rules file, if one was written).
  void start(const std::string& policy = "sticky", const std::map<std::string, std::string>& settings = {}) {
    cluster_ = unique_cluster("rules");
    Options fleet = base(policy);
    fleet.set("engine.node_id", "fleet");
    fleet.set("engine.campaign", "false");
    fleet_ = std::make_unique<Engine>(fleet.resolve());
    Options leader = base(policy);
    leader.set("engine.node_id", "leader");
    if (std::filesystem::exists(rules_file_)) leader.set("rules.file", rules_file_.string());
    for (const auto& [k, v] : settings) leader.set(k, v);
    leader_ = std::make_unique<Engine>(leader.resolve());
    // Leading, and done with the refresh it runs on taking the lead, so that refresh never races
    // the servers and streams a test adds next.
    ASSERT_TRUE(eventually([&] { return leader_->status().is_leader && leader_->status().version >= 1; }));
  }

  // Six servers in zones a, b, c (two each, racks r1 and r2); the zone c pair is tier=gold.
  void join_zoned_servers() {
    for (std::string zone : {"a", "b", "c"})
      for (std::string rack : {"1", "2"}) {
        std::string labels = "zone=" + zone + ",rack=r" + rack + (zone == "c" ? ",tier=gold" : "");
        fleet_->join("srv-" + zone + rack, 1.0, parse_labels(labels));
      }
  }

  void add_streams(const std::string& tenant, int count, double load = 1.0) {
    for (int i = 0; i < count; ++i) fleet_->add_stream(tenant + "-" + std::to_string(i), tenant, load);
    fleet_->flush();
  }

  std::shared_ptr<const Snapshot> refresh() {
    leader_->refresh();
    return leader_->snapshot();
  }

  // stream id -> owner id in a snapshot
  static std::map<std::string, std::string> owners(const Snapshot& s) {
    std::map<std::string, std::string> out;
    for (uint64_t i = 0; i < s.stream_count(); ++i)
      out[std::string(s.streams->ids.at(i))] = std::string(s.servers->ids.at(s.owner[i]));
    return out;
  }

  static std::string tenant_of(const std::string& stream) { return stream.substr(0, stream.rfind('-')); }

  std::filesystem::path dir_, rules_file_;
  std::string cluster_;
  std::unique_ptr<Engine> fleet_, leader_;
};

}  // namespace berth::testing
