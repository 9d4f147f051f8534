// The columns a snapshot is made of, laid out exactly as the plugin ABI views them
// (berth_server_set, berth_stream_set), so handing them to a plugin copies nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/plugin.h"
#include "common/heap_bytes.h"
#include "common/labels.h"

namespace berth {

// Strings packed back to back: string i is arena[offsets[i] .. offsets[i+1]).
struct StringColumn {
  std::string arena;
  std::vector<uint64_t> offsets{0};

  uint64_t size() const noexcept { return offsets.size() - 1; }
  std::string_view at(uint64_t i) const noexcept { return {arena.data() + offsets[i], offsets[i + 1] - offsets[i]}; }
  void push_back(std::string_view s) {
    arena.append(s);
    offsets.push_back(arena.size());
  }
  void reserve(uint64_t count, uint64_t bytes) {
    offsets.reserve(count + 1);
    arena.reserve(bytes);
  }
  // What it holds allocated (capacities, not sizes).
  uint64_t memory_bytes() const noexcept { return arena.capacity() + offsets.capacity() * sizeof(uint64_t); }
};

// Servers sorted by id (index order is name order).
struct ServerColumns {
  StringColumn ids;
  std::vector<double> capacity;
  std::vector<int32_t> state;
  // What rules select servers by (zone, rack, tags). May be shorter than the other columns:
  // servers past its end have no labels (columns built by code that does not know of labels).
  std::vector<Labels> labels;
  // Per server, like labels may be shorter: the incarnation of the registration (ServerInfo), so
  // a grant made to one registration is never taken up by the next one of the same id. 0: none.
  std::vector<uint64_t> incarnation;
  // Per server: 1 when a host serves its streams (ServerInfo::serving), so the grant step grants
  // it streams; a server only routed to is granted nothing and hands nothing off. Columns built
  // without registrations (tools, plans, tests of the grant step) leave it empty: every server serves.
  std::vector<uint8_t> serving;

  uint64_t incarnation_of(uint32_t i) const noexcept { return i < incarnation.size() ? incarnation[i] : 0; }
  bool serving_of(uint32_t i) const noexcept { return serving.empty() || (i < serving.size() && serving[i] != 0); }

  const Labels& labels_of(uint32_t i) const noexcept {
    static const Labels none;
    return i < labels.size() ? labels[i] : none;
  }

  uint32_t size() const noexcept { return static_cast<uint32_t>(capacity.size()); }
  // What the columns hold allocated (capacities; each server's labels counted by their strings).
  uint64_t memory_bytes() const noexcept {
    uint64_t bytes = ids.memory_bytes() + capacity.capacity() * sizeof(double) + state.capacity() * sizeof(int32_t) +
                     labels.capacity() * sizeof(Labels) + incarnation.capacity() * sizeof(uint64_t) + serving.capacity();
    for (const Labels& l : labels) {
      bytes += l.capacity() * sizeof(Labels::value_type);
      for (const auto& [key, value] : l) bytes += heap_bytes(key) + heap_bytes(value);
    }
    return bytes;
  }
  berth_server_set view() const noexcept {
    return {BERTH_SIZE_THROUGH(berth_server_set, state), size(), ids.arena.data(), ids.offsets.data(),
            capacity.data(), state.data()};
  }
};

// Streams: ids, their hash, their tenant (index into `tenants`, whose entry 0 is "").
struct StreamColumns {
  StringColumn ids;
  std::vector<uint64_t> hash;
  std::vector<uint32_t> tenant;
  StringColumn tenants;

  uint64_t size() const noexcept { return hash.size(); }
  // What the columns other than `ids` hold allocated (capacities): hashes, tenants.
  uint64_t columns_memory_bytes() const noexcept {
    return hash.capacity() * sizeof(uint64_t) + tenant.capacity() * sizeof(uint32_t) + tenants.memory_bytes();
  }
  berth_stream_set view(const double* reported_load) const noexcept {
    return {BERTH_SIZE_THROUGH(berth_stream_set, reported_load), size(), ids.arena.data(), ids.offsets.data(),
            hash.data(), tenant.data(), static_cast<uint32_t>(tenants.size()), tenants.arena.data(),
            tenants.offsets.data(), reported_load};
  }
};

}  // namespace berth
