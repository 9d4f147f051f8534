// sticky's rebalance: start from the previous assignment and move only what brings every up
// server back inside a hysteresis band around its fair share, within a move budget.
//
// One refresh, in three steps (details in sticky_rebalance.cpp):
//   1. Keep: a stream whose previous owner is still up or read-only stays there, unless its class
//      (placement constraints, plugin.h) does not allow that server but allows an up server: then
//      it must move, and is placed like a stream without an owner, outside the budget.
//   2. Place, in LPT order (largest first, ties by hash then index), each onto the up server with
//      the least load per unit of capacity:
//        - streams with no owner (new, or their owner left the set): always, outside the budget;
//        - streams on a draining server: while the budget lasts, otherwise they stay put.
//      Zero-load streams are dealt by stream count per unit of capacity instead. A stream of a
//      class goes only among the up servers its class allows: to the least-loaded preferred one
//      unless it would then be above the band top where the least-loaded allowed one is not.
//   3. Balance: level = load / capacity over the up servers (without those whose largest stream
//      alone exceeds their share). A server outside [(1 - band), (1 + band)] x level is *triggered*
//      and is brought back inside the inner band [(1 - band/2), (1 + band/2)] x level: the most
//      overloaded gives to the least loaded (or the least loaded takes from the most loaded),
//      one stream at a time, choosing the stream whose load is closest to what the triggered
//      server lacks to reach the level while never pushing the other side out of the inner band.
//      Nothing moves while every server is inside the band (the hysteresis). A server left out
//      for an oversized stream first sheds its other streams onto the balanced servers
//      (oversized_servers.h). A stream only ever moves to a server its class allows.
//
// Budget: max_moves streams and max_moved_load_fraction x total load per refresh, counting every
// stream taken from a server that is still in the set (draining included); placing a stream that
// had no owner costs nothing, since it has to go somewhere. The result depends only on the request.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "berth/plugin.h"
#include "stream_order.h"

namespace berth::sticky {

struct StickySettings {
  double band = 0.02;                                          // hysteresis, as a share of the fair level
  uint64_t max_moves = std::numeric_limits<uint64_t>::max();   // streams moved per refresh
  double max_moved_load_fraction = 1.0;                        // load moved per refresh, of the total load
};

// What one refresh did (for the log; the engine measures the same from the snapshots).
struct StickyOutcome {
  uint64_t placed = 0;          // streams without an owner that were placed (not budgeted)
  uint64_t evicted = 0;         // streams on a server their class does not allow (placed, not budgeted)
  uint64_t drained = 0;         // streams moved off draining servers
  uint64_t shed = 0;            // streams moved off a server beside its oversized stream
  uint64_t balanced = 0;        // streams moved to bring servers into the band
  double moved_load = 0;        // of drained + shed + balanced
  uint64_t left_draining = 0;   // streams still on draining servers (budget spent or no up server)
  uint64_t triggered = 0;       // up servers that were outside the band after placement
  bool budget_spent = false;    // the budget ran out with work left to do
  double level = 0;             // fair load per unit of capacity of the balanced up servers
  double max_relative = 0;      // highest load per unit of capacity among them, at the end
};

class StickyRebalancer {
 public:
  explicit StickyRebalancer(const StickySettings& settings) : settings_(settings) {}

  // Fills out_owner[i] for every stream. Throws Error(BERTH_E_NO_SERVERS) when a stream without
  // an owner needs a server and none is up, Error(BERTH_E_INVALID_ARGUMENT) for malformed input.
  StickyOutcome rebalance(const berth_rebalance_request& request, uint32_t* out_owner);

 private:
  StickySettings settings_;
};

}  // namespace berth::sticky
