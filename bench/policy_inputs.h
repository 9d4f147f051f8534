// Synthetic servers and streams as the plugin ABI sees them, for the policy benchmarks.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "berth/plugin.h"
#include "common/hash.h"
#include "tools/workload.h"

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

// Placement constraints at the scale: `classes` classes, each allowing `allowed` servers
// (a window of consecutive indices at a random start, wrapping) and preferring the first
// `preferred` of them; stream i is in class hash % classes, or in none for one stream in ten.
struct Constraints {
  std::vector<uint32_t> class_of, allowed, preferred;
  std::vector<uint64_t> allowed_begin{0}, preferred_begin{0};
  berth_placement_constraints view{};

  Constraints(const Streams& streams, uint32_t servers, uint32_t classes, uint32_t allowed_count,
              uint32_t preferred_count) {
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (uint32_t c = 0; c < classes; ++c) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const uint32_t start = static_cast<uint32_t>((state >> 33) % servers);
      std::vector<uint32_t> window;
      for (uint32_t k = 0; k < allowed_count; ++k) window.push_back((start + k) % servers);
      std::vector<uint32_t> prefers(window.begin(), window.begin() + preferred_count);
      std::sort(window.begin(), window.end());
      std::sort(prefers.begin(), prefers.end());
      allowed.insert(allowed.end(), window.begin(), window.end());
      preferred.insert(preferred.end(), prefers.begin(), prefers.end());
      allowed_begin.push_back(allowed.size());
      preferred_begin.push_back(preferred.size());
    }
    class_of.reserve(streams.hash.size());
    for (uint64_t h : streams.hash) class_of.push_back(h % 10 == 0 ? BERTH_NO_CLASS : static_cast<uint32_t>((h >> 8) % classes));
    view = {BERTH_SIZE_THROUGH(berth_placement_constraints, preferred), classes, class_of.data(), allowed_begin.data(),
            allowed.data(), preferred_begin.data(), preferred.data()};
  }
  Constraints(const Constraints&) = delete;
  Constraints& operator=(const Constraints&) = delete;
};

}  // namespace berth::bench
