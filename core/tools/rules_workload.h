// A large labeled cluster and a typical rules script, for measuring rule evaluation
// (bench/rules_bench.cpp and `berth bench --rules`): servers in zones a, b, c with racks and an
// ssd tag, a few tier=gold; streams spread over many tenants, each with a current owner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scripting/rule_set.h"
#include "snapshot/columns.h"

namespace berth::tools {

struct RulesWorkload {
  ServerColumns servers;
  StreamColumns streams;
  std::vector<double> load, reported;
  std::vector<uint32_t> owner;
  berth_server_set server_view{};
  berth_stream_set stream_view{};

  rules::Input input() {
    server_view = servers.view();
    stream_view = streams.view(reported.data());
    return rules::Input{&server_view, &servers.labels, &stream_view, load.data(), owner.data()};
  }
};

// Tenants "tenant-00000".. (stream i belongs to tenant i % tenants); owners uniform.
RulesWorkload make_rules_workload(uint64_t streams, uint32_t tenants, uint32_t servers, uint64_t seed = 7);

// Per-tenant rules only: one dedicated tenant, every tenant allowed one zone by its number,
// one in ten preferring ssd servers, one in seven scaled.
extern const char* const kPerTenantRules;
// The same plus a spread across zones for every tenant (classes per tenant and zone).
extern const char* const kSpreadRules;

}  // namespace berth::tools
