// Policy "least_load", behaviour version 2: DistributedLog's LeastLoadPlacementPolicy (DL-157)
// done right. rebalance() is a full LPT recompute (lpt_rebalance.h); streams not in a snapshot yet
// are placed by capped water-filling (water_fill.h).
//
// Version 2 honours placement constraints (ABI 1.1, placement_constraints.h): a stream of a class
// goes only to an up server its class allows, to the least-loaded preferred one unless that one
// would then be above both the fair level and the least-loaded allowed one (class_chooser.h).
// Without constraints it gives exactly version 1's assignment.
//
// Configuration (both optional):
//   headroom  = new load to plan for until the next snapshot, as a share of the current load
//               (default 0.1); larger spreads new streams closer to capacity shares.
//   burst_cap = the most any server receives of a burst of new streams, in multiples of its
//               capacity share (default 1.5; 1 means exactly by capacity).
//
// Bump the behaviour version whenever the same input would give a different assignment or
// placement, including a change of these defaults.
#include "berth/plugin.hpp"
#include "lpt_rebalance.h"
#include "water_fill_placer.h"

namespace {

using berth::least_load::LptRebalancer;
using berth::least_load::WaterFillPlacer;
using berth::least_load::read_water_fill_settings;
using berth::least_load::WaterFillSettings;

class LeastLoadPolicy {
 public:
  using Placer = WaterFillPlacer;

  LeastLoadPolicy(const berth_host_api* /*host*/, berth::plugin::Config& config) : settings_(read_water_fill_settings(config)) {}

  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
    rebalancer_.rebalance(request, out_owner);
  }

  Placer make_placer(const berth_server_set& servers, const double* server_load) const {
    return Placer(servers, server_load, settings_);
  }

 private:
  WaterFillSettings settings_;
  LptRebalancer rebalancer_;
};

}  // namespace

BERTH_DEFINE_POLICY_PLUGIN(LeastLoadPolicy, "least_load", "1.1.0", 2)
