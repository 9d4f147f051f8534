// sticky and streams larger than the top of the band.
//
// A stream whose load alone exceeds the band top of its server cannot be balanced: the balancer
// leaves its server out (balanceable() in sticky_rebalance.cpp) so that the rest are measured
// against what they can share. But whatever *other* streams such a server carries must not stay
// there for ever: nothing else would move them, and the server would sit at (oversized stream +
// its old share) while the lower bound is the oversized stream alone (seen as max/LB 1.5 and 6
// under a zipf workload). So the server sheds them: when it carries more than a band's worth of
// load beside its largest stream (band x level x capacity, the level of the balanced servers),
// its other streams go, largest first, each onto the least-loaded balanced server its class
// allows, until what is left beside the largest is within half a band's worth (the hysteresis:
// the next refresh finds it inside and moves nothing). Moves from the server come out of the
// move budget; a stream that was placed on it in this refresh only moves again for free.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "berth/plugin.h"
#include "move_budget.h"
#include "placement_constraints.h"
#include "sticky_rebalance.h"
#include "stream_order.h"

namespace berth::sticky {

// `up` are the up servers, `members` the balanceable ones among them (both ascending); the others
// are oversized. `held` and `largest` are per server and `held` is updated.
void shed_beside_oversized(const berth_rebalance_request& request, const least_load::PlacementConstraints& constraints,
                           std::span<const uint32_t> up, std::span<const uint32_t> members, std::vector<double>& held,
                           const std::vector<double>& largest, double band, uint32_t* out_owner, MoveBudget& budget,
                           StickyOutcome& outcome, std::vector<least_load::StreamKey>& scratch);

}  // namespace berth::sticky
