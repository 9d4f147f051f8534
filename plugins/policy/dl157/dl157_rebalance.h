// DL-157 as shipped: the full recompute of DistributedLog's LeastLoadPlacementPolicy.refresh(),
// and its placeStream() for streams not in a snapshot yet.
//
// What DL did, and so what this does:
//   - every refresh starts from nothing: the previous owner is ignored;
//   - streams are taken in ASCENDING (load, stream id) order: StreamLoad.compareTo sorts smallest
//     first, although the comment above it says "descending" (the shipped bug: largest-first LPT
//     is what balances well);
//   - each stream goes to the server at the top of a min-heap of (total load, server name)
//     (ServerLoad.compareTo), which then holds that stream's load more;
//   - capacities do not exist in DL: every server counts the same, whatever its capacity;
//   - only BERTH_SERVER_UP servers take streams (DL knew only live servers);
//   - placeStream() answers the least-loaded server for any new stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/plugin.h"

namespace berth::dl157 {

// Fills out_owner[i] for every stream. Throws Error(BERTH_E_NO_SERVERS) when there are streams
// and no server is up, Error(BERTH_E_INVALID_ARGUMENT) for a malformed request or a load that is
// not finite and >= 0. Keeps its scratch arrays between calls.
class Dl157Rebalancer {
 public:
  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner);

 private:
  struct StreamLoad {
    double load;
    uint64_t index;
  };
  std::vector<StreamLoad> order_;  // the streams, in the order they are dealt
};

// placeStream(): every new stream goes to the up server with the least total load (ties to the
// lower index, i.e. the smaller name), whatever its hash. A pure function of (servers,
// server_load), so every node gives the same answer; that it is ONE server for every new stream
// until the next snapshot is DL's weakness, reproduced on purpose.
class Dl157Placer {
 public:
  // Throws Error(BERTH_E_INVALID_ARGUMENT) for malformed servers or loads. No up server is not an
  // error here (the snapshot still serves its streams); place() reports it.
  Dl157Placer(const berth_server_set& servers, const double* server_load);

  // Throws Error(BERTH_E_NO_SERVERS) when no server is up.
  uint32_t place(uint64_t stream_hash, double load) const;

 private:
  uint32_t server_ = BERTH_NO_SERVER;
  std::string no_server_reason_;  // set when no server is up
};

}  // namespace berth::dl157
