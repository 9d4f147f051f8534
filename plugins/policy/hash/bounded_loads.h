// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018) on the ring
// of hash_ring.h. Every up server j gets a bound of c x its fair share by capacity:
//   loads not all equal: bound_j = c * L * cap_j / C          (L the load to place, C the up capacity)
//   all loads equal:     bound_j = ceil(c * n * cap_j / C)    streams (the paper's rule, by count)
// Streams are taken in ascending hash order (then index) and each takes the first server on its
// clockwise walk of the ring with room for it (held + load <= bound). If no server has room (a
// stream larger than every server's remaining room), it goes to the server whose load per bound
// is then the lowest, the only case that can exceed the bound.
//
// Nothing about the previous assignment is read except READ_ONLY owners (below), so the
// assignment is a function of (up servers, capacities, streams, loads, c): a node needs to store
// only the exceptions, the streams not on their first choice, to answer lookups.
//
// Server states: only UP servers are on the ring. A stream on a READ_ONLY server stays there (it
// keeps what it has, and its load does not count against any bound); a stream on a DRAINING server
// goes onto the ring like any other (with no up server at all, it stays where it is). A stream
// without an owner and no up server is BERTH_E_NO_SERVERS.
//
// Placement constraints (ABI 1.1): a stream of a class walks to the first server its class prefers
// that has room, else to the first it allows that has room, else to the allowed up server whose
// load per bound is then lowest; it never lands outside its class. A read-only owner keeps it only
// if its class allows that server (or allows no up server). A stream whose class allows no up
// server keeps its previous owner, or without one walks as if unconstrained.
#pragma once

#include <cstdint>
#include <vector>

#include "berth/plugin.h"
#include "stream_order.h"

namespace berth::hash_policy {

struct BoundedOutcome {
  uint64_t placed = 0;        // streams that went through the ring
  uint64_t exceptions = 0;    // of those, streams not on their first choice
  uint64_t over_bound = 0;    // of those, streams that fit nowhere and exceed a bound
  uint64_t kept_read_only = 0;
  uint64_t walked = 0;        // ring points visited past the first, in all
};

class BoundedLoadsRebalancer {
 public:
  explicit BoundedLoadsRebalancer(double capacity_factor) : capacity_factor_(capacity_factor) {}
  BoundedOutcome rebalance(const berth_rebalance_request& request, uint32_t* out_owner);

 private:
  double capacity_factor_;
};

}  // namespace berth::hash_policy
