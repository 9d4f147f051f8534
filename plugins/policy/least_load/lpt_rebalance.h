// least_load's rebalance: a full recompute by LPT (longest processing time first), the greedy
// DistributedLog's LeastLoadPlacementPolicy meant to be. Streams go largest first, each onto the
// up server with the least load per unit of capacity; streams of zero load, which cannot unbalance
// anything, are then dealt out by stream count per unit of capacity so they do not all pile onto
// one server. A read-only server keeps the streams it had (they count toward its load) and takes
// nothing new; a draining server takes nothing. The result depends only on the request.
//
// With placement constraints (plugin.h) a stream of a class is dealt only among the up servers its
// class allows (preferring its preferred ones while they stay at or below the fair level); a
// read-only server keeps a stream only if its class allows it there (or allows no up server); a
// stream whose class allows no up server keeps its previous owner, or without one is dealt as if
// unconstrained.
#pragma once

#include <cstdint>
#include <vector>

#include "berth/plugin.h"
#include "stream_order.h"

namespace berth::least_load {

class LptRebalancer {
 public:
  // Fills out_owner[i] for every stream. Throws Error(BERTH_E_NO_SERVERS) when a stream needs
  // a server and none is up, Error(BERTH_E_INVALID_ARGUMENT) for malformed input.
  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner);
};

}  // namespace berth::least_load
