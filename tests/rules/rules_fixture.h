// Small clusters built by hand for the rules layer: servers with labels, streams with tenants,
// loads and current owners, evaluated by a script given as text.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "scripting/rule_set.h"
#include "snapshot/columns.h"

namespace berth::testing {

struct FakeCluster {
  ServerColumns servers;
  StreamColumns streams;
  std::vector<double> load;
  std::vector<uint32_t> owner;
  std::vector<double> reported;
  std::map<std::string, uint32_t> tenant_index;

  FakeCluster() { streams.tenants.push_back(""); tenant_index[""] = 0; }

  // Servers must be added in id order (a server set is sorted by id).
  uint32_t server(const std::string& id, const std::string& labels = "", double capacity = 1.0) {
    servers.ids.push_back(id);
    servers.capacity.push_back(capacity);
    servers.state.push_back(BERTH_SERVER_UP);
    servers.labels.push_back(parse_labels(labels));
    return servers.size() - 1;
  }

  uint64_t stream(const std::string& id, const std::string& tenant, double l = 1.0, uint32_t on = BERTH_NO_SERVER) {
    auto [it, inserted] = tenant_index.try_emplace(tenant, static_cast<uint32_t>(streams.tenants.size()));
    if (inserted) streams.tenants.push_back(tenant);
    streams.ids.push_back(id);
    streams.hash.push_back(0);
    streams.tenant.push_back(it->second);
    load.push_back(l);
    owner.push_back(on);
    reported.push_back(l);
    return streams.size() - 1;
  }

  uint32_t server_index(const std::string& id) const {
    for (uint32_t i = 0; i < servers.size(); ++i)
      if (servers.ids.at(i) == id) return i;
    ADD_FAILURE() << "no server " << id;
    return BERTH_NO_SERVER;
  }

  uint64_t stream_index(const std::string& id) const {
    for (uint64_t i = 0; i < streams.size(); ++i)
      if (streams.ids.at(i) == id) return i;
    ADD_FAILURE() << "no stream " << id;
    return 0;
  }

  rules::Evaluation evaluate(rules::RuleSet& rules) {
    server_view_ = servers.view();
    stream_view_ = streams.view(reported.data());
    rules::Input in{&server_view_, &servers.labels, &stream_view_, load.data(), owner.data()};
    return rules.evaluate(in);
  }

  // The ids of the servers a stream's class allows (all of them when it has no class).
  std::vector<std::string> allowed(const rules::Evaluation& e, const std::string& stream) const {
    return names(e, stream, false);
  }
  std::vector<std::string> preferred(const rules::Evaluation& e, const std::string& stream) const {
    return names(e, stream, true);
  }

 private:
  std::vector<std::string> names(const rules::Evaluation& e, const std::string& stream, bool preferred) const {
    uint32_t cls = e.constraints.class_of(stream_index(stream));
    std::vector<std::string> out;
    if (cls == BERTH_NO_CLASS) {
      if (!preferred)
        for (uint32_t i = 0; i < servers.size(); ++i) out.emplace_back(servers.ids.at(i));
      return out;
    }
    for (uint32_t s : preferred ? e.constraints.preferred(cls) : e.constraints.allowed(cls)) out.emplace_back(servers.ids.at(s));
    return out;
  }

  berth_server_set server_view_{};
  berth_stream_set stream_view_{};
};

inline std::shared_ptr<rules::RuleSet> compile(const std::string& text, rules::Limits limits = {}) {
  return rules::RuleSet::compile("test.lua", text, limits);
}

// The message compile() throws, or "" when the script compiles.
inline std::string compile_error(const std::string& text, rules::Limits limits = {}) {
  try {
    compile(text, limits);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Three zones of two servers; rack r1 in every zone; srv-a1 and srv-b1 are tagged ssd.
inline FakeCluster zoned_cluster() {
  FakeCluster c;
  c.server("srv-a1", "zone=a,rack=r1,ssd");
  c.server("srv-a2", "zone=a,rack=r2");
  c.server("srv-b1", "zone=b,rack=r1,ssd");
  c.server("srv-b2", "zone=b,rack=r2");
  c.server("srv-c1", "zone=c,rack=r1,tier=gold");
  c.server("srv-c2", "zone=c,rack=r2,tier=gold");
  return c;
}

using Names = std::vector<std::string>;

}  // namespace berth::testing
