// DL-157's placeStream() for a stream its last refresh did not place: placeStreamSynchronized()
// takes the first server of the TreeSet<ServerLoad> (least total load, ties by name in Java's
// order), adds the stream's load to it and puts it back. A burst of new streams therefore spreads
// over the servers, each answer depending on the ones before it.
//
// What follows from DL's code, reproduced on purpose:
//   - the answers depend on the order and number of calls since the snapshot, so two nodes (or
//     one node asked again) may answer differently: this placer is NOT the pure function of
//     (servers, server_load) the plugin ABI asks for, only DL's behaviour;
//   - a stream asked for twice is placed twice, its load added each time (DL records a new
//     stream's owner only at the next refresh);
//   - capacities play no part, and only up servers take streams.
// The load added is the one the host passes; NaN (the host has not appraised the stream) counts
// as 1, the load DL's EqualLoadAppraiser gives every stream.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "berth/plugin.h"
#include "server_heap.h"

namespace berth::dl157 {

class Dl157Placer {
 public:
  // Starts from the snapshot's server loads. Throws Error(BERTH_E_INVALID_ARGUMENT) for malformed
  // servers or loads. No up server is not an error here (the snapshot still serves its
  // streams); place() reports it.
  Dl157Placer(const berth_server_set& servers, const double* server_load);

  // Throws Error(BERTH_E_NO_SERVERS) when no server is up, Error(BERTH_E_INVALID_ARGUMENT) for a
  // load that is neither NaN nor finite and >= 0. Safe to call from many threads: calls are
  // serialised, as DL's method is synchronized.
  uint32_t place(uint64_t stream_hash, double load) const;

 private:
  mutable std::mutex mutex_;
  mutable std::vector<ServerLoad> heap_;  // the up servers, lightest first
  std::string no_server_reason_;          // set when no server is up
};

}  // namespace berth::dl157
