// sticky's move budget for one refresh: max_moves streams and max_moved_load_fraction x total load,
// spent by every stream taken from a server that is still in the set (draining, shedding beside an
// oversized stream, balancing). Placing a stream that has no owner, or that its class no longer
// allows where it is, costs nothing: it has to go somewhere.
#pragma once

#include <cstdint>

namespace berth::sticky {

struct MoveBudget {
  uint64_t moves;
  double load;
  bool allows(double load_of_stream) const { return moves > 0 && load_of_stream <= load; }
  void spend(double load_of_stream) {
    --moves;
    load -= load_of_stream;
  }
};

}  // namespace berth::sticky
