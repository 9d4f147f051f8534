// DL's TreeSet<ServerLoad> as a binary min-heap: servers ordered by total load, ties by name in
// Java's order (ServerLoad.compareTo). DL only ever takes the first server out, adds a stream's
// load to it and puts it back, so a heap with the same strict order yields the same servers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "berth/plugin.h"
#include "berth/plugin.hpp"
#include "java_order.h"

namespace berth::dl157 {

struct ServerLoad {
  double load;
  uint32_t rank;    // the server's place in Java's name order among the up servers
  uint32_t server;  // its index in the server set
};

inline bool lighter(const ServerLoad& a, const ServerLoad& b) {
  return a.load < b.load || (a.load == b.load && a.rank < b.rank);
}

// Per server index, its rank in Java's order of the ids of `up` (entries of other servers unset).
inline std::vector<uint32_t> name_ranks(const berth_server_set& servers, const std::vector<uint32_t>& up) {
  std::vector<uint32_t> by_name = up;
  std::sort(by_name.begin(), by_name.end(), [&](uint32_t a, uint32_t b) {
    return java_compare(plugin::server_id(servers, a), plugin::server_id(servers, b)) < 0;
  });
  std::vector<uint32_t> rank(servers.count, UINT32_MAX);
  for (uint32_t r = 0; r < by_name.size(); ++r) rank[by_name[r]] = r;
  return rank;
}

// Orders `heap` so heap[0] is the lightest server.
inline void make_server_heap(std::vector<ServerLoad>& heap) {
  std::make_heap(heap.begin(), heap.end(), [](const ServerLoad& a, const ServerLoad& b) { return lighter(b, a); });
}

// Adds `load` to the lightest server and restores the order (DL's pollFirst(), addStream(),
// add()); returns that server's index.
inline uint32_t add_to_lightest(std::vector<ServerLoad>& heap, double load) {
  const size_t n = heap.size();
  ServerLoad moving = heap[0];
  const uint32_t server = moving.server;
  moving.load += load;
  size_t at = 0;
  for (;;) {
    size_t child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && lighter(heap[child + 1], heap[child])) ++child;
    if (!lighter(heap[child], moving)) break;
    heap[at] = heap[child];
    at = child;
  }
  heap[at] = moving;
  return server;
}

}  // namespace berth::dl157
