// DL-157's LeastLoadPlacementPolicy.calculate(), which every refresh() runs from nothing.
//
// What DL does, and so what this does:
//   - the previous owners are ignored: every refresh deals all streams out again;
//   - streams are dealt in ASCENDING (load, stream id) order, the order of a TreeSet of
//     StreamLoad (StreamLoad.compareTo, ids in Java's String order), although the comment above
//     that TreeSet says largest first: the shipped bug, as largest first is what balances well;
//   - first round: each server in the order of the server set takes the next stream, whatever
//     the loads (DL walks a HashSet of host names; Berth's set is in id order, so that order);
//   - then each remaining stream goes to the first server of a TreeSet of ServerLoad, ordered by
//     (total load, server name in Java's order), which takes the stream's load and goes back in;
//   - capacities do not exist in DL: every server counts the same, whatever its capacity;
//   - only BERTH_SERVER_UP servers take streams (DL knew only live servers);
//   - with streams and no server, DL's refresh fails (its first pollFirst() is null).
// Loads stay doubles (DL's were whole numbers); each server sums them in DL's order.
#pragma once

#include <cstdint>
#include <vector>

#include "berth/plugin.h"

namespace berth::dl157 {

// Fills out_owner[i] for every stream. Throws Error(BERTH_E_NO_SERVERS) when there are streams
// and no server is up, Error(BERTH_E_INVALID_ARGUMENT) for a malformed request or a load that is
// not finite and >= 0.
class Dl157Rebalancer {
 public:
  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner);
};

}  // namespace berth::dl157
