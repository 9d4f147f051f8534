// Synthetic servers and streams as the plugin ABI sees them, for the policy benchmarks.
#pragma once

#include <string>
#include <vector>

#include "berth/plugin.h"
#include "common/hash.h"
#include "workload/workload.h"

namespace berth::bench {

struct Streams {
  std::string arena, tenant_arena = "default";
  std::vector<uint64_t> offsets{0}, tenant_offsets{0, 7}, hash;
  std::vector<uint32_t> tenant;
  std::vector<double> reported, load;
  berth_stream_set view{};

  explicit Streams(uint64_t count) {
    berth::Workload w = berth::make_workload(count, berth::LoadDistribution::lognormal, /*seed=*/42);
    for (const std::string& id : w.stream_ids) {
      arena += id;
      offsets.push_back(arena.size());
      hash.push_back(berth::stream_hash(id));
    }
    load = std::move(w.loads);
    tenant.assign(count, 0);
    reported.assign(count, 0.0);
    view = {BERTH_SIZE_THROUGH(berth_stream_set, reported_load), count, arena.data(), offsets.data(), hash.data(),
            tenant.data(), 1, tenant_arena.data(), tenant_offsets.data(), reported.data()};
  }
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;
};

struct Servers {
  std::string arena;
  std::vector<uint64_t> offsets{0};
  std::vector<double> capacity;
  std::vector<int32_t> state;
  berth_server_set view{};

  explicit Servers(uint32_t count, std::vector<double> capacities = {}) : capacity(std::move(capacities)) {
    for (const std::string& id : berth::make_server_ids(count)) {
      arena += id;
      offsets.push_back(arena.size());
    }
    if (capacity.empty()) capacity.assign(count, 1.0);
    state.assign(count, BERTH_SERVER_UP);
    view = {BERTH_SIZE_THROUGH(berth_server_set, state), count, arena.data(), offsets.data(), capacity.data(),
            state.data()};
  }
  Servers(const Servers&) = delete;
  Servers& operator=(const Servers&) = delete;
};

}  // namespace berth::bench
