// What every policy's rebalance() starts from: the request checked (check_rebalance_request), the
// roster of its servers and its placement constraints, read once and in that order, so the first
// malformed part is the one reported. A policy takes the parts it uses with a structured binding:
//   const auto& [servers, streams, roster, constraints, load, previous] = RebalanceInput(request, out_owner);
// (A lambda names a binding through an init-capture, [&rules = constraints]: clang before 16
// cannot capture a structured binding.)
#pragma once

#include <cstdint>

#include "berth/plugin.h"
#include "placement_constraints.h"
#include "server_roster.h"

namespace berth::least_load {

struct RebalanceInput {
  // Throws Error(BERTH_E_INVALID_ARGUMENT) for a malformed request, roster or constraints.
  RebalanceInput(const berth_rebalance_request& request, const uint32_t* out_owner);

  const berth_server_set& servers;
  const berth_stream_set& streams;
  const ServerRoster roster;
  const PlacementConstraints constraints;
  const double* load;        // per stream
  const uint32_t* previous;  // per stream; NULL when no stream has a previous owner
};

}  // namespace berth::least_load
