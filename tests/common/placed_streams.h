// Every stream of a snapshot with its owner's id and its load, through the host C API, for the
// helper processes that digest what a node serves (zk_node_helper, ownership_host).
#pragma once

#include <cstdint>
#include <string_view>

#include "berth/berth.h"

namespace berth::test {

// Calls f(id, owner, load) per stream in the snapshot's order; owner is nullptr when the
// snapshot cannot name it. Stops at the first stream it cannot read.
template <class F>
void for_each_placed(const berth_snapshot* snapshot, F&& f) {
  const uint64_t n = berth_snapshot_stream_count(snapshot);
  for (uint64_t i = 0; i < n; ++i) {
    const char* id = nullptr;
    size_t len = 0;
    uint32_t owner = 0;
    double load = 0;
    if (berth_snapshot_stream(snapshot, i, &id, &len, &owner, &load, nullptr) != BERTH_OK) return;
    const char* server = nullptr;
    double capacity = 0, server_load = 0;
    uint64_t count = 0;
    if (berth_snapshot_server(snapshot, owner, &server, &capacity, &server_load, &count, nullptr) != BERTH_OK)
      server = nullptr;
    f(std::string_view(id, len), server, load);
  }
}

}  // namespace berth::test
