#include "tools/rules_workload.h"

#include <random>

#include <fmt/format.h>

#include "common/hash.h"

namespace berth::tools {

const char* const kPerTenantRules = R"lua(
dedicate("tenant-00000", { tier = "gold" })
local zones = { "a", "b", "c" }
tenant("*", function(t)
  local n = tonumber(t.name:sub(8)) or 0
  t:allow { zone = zones[n % 3 + 1] }
  if n % 10 == 0 then t:prefer { ssd = true } end
  if n % 7 == 0 then t:scale(1.5) end
end)
)lua";

const char* const kSpreadRules = R"lua(
dedicate("tenant-00000", { tier = "gold" })
tenant("*", function(t)
  local n = tonumber(t.name:sub(8)) or 0
  if n % 10 == 0 then t:prefer { ssd = true } end
  t:spread("zone", 0.5)
end)
)lua";

RulesWorkload make_rules_workload(uint64_t streams, uint32_t tenants, uint32_t servers, uint64_t seed) {
  RulesWorkload w;
  for (uint32_t i = 0; i < servers; ++i) {
    w.servers.ids.push_back(fmt::format("server-{:05}", i));
    w.servers.capacity.push_back(1.0);
    w.servers.state.push_back(BERTH_SERVER_UP);
    std::string labels = fmt::format("zone={},rack=r{}", "abc"[i % 3], i / 3 % 20);
    if (i % 2 == 0) labels += ",ssd";
    if (i % 100 == 99) labels += ",tier=gold";
    w.servers.labels.push_back(parse_labels(labels));
  }
  w.streams.tenants.push_back("");
  for (uint32_t t = 0; t < tenants; ++t) w.streams.tenants.push_back(fmt::format("tenant-{:05}", t));
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> lognormal(0, 1);
  w.streams.ids.reserve(streams, streams * 14);
  for (uint64_t i = 0; i < streams; ++i) {
    std::string id = fmt::format("stream-{:07}", i);
    w.streams.ids.push_back(id);
    w.streams.hash.push_back(stream_hash(id));
    w.streams.tenant.push_back(static_cast<uint32_t>(1 + i % tenants));
    w.load.push_back(lognormal(rng));
    w.owner.push_back(static_cast<uint32_t>(rng() % servers));
  }
  w.reported = w.load;
  return w;
}

}  // namespace berth::tools
