// Policy "dl157", behaviour version 2: Apache DistributedLog's LeastLoadPlacementPolicy (DL-157)
// as its code runs, kept as the baseline `berth bench --policies` measures the others against.
// Not for production: it places the smallest stream first, recomputes everything on every refresh
// (adding one server to 1000 moves ~99% of streams), ignores capacities, and places new streams
// from state each node keeps to itself. See dl157_rebalance.h and dl157_placer.h for the rules.
//
// Placement constraints (ABI 1.1, berth_rebalance_request.constraints) are ignored on purpose:
// DL-157 had no tenant rules. A host that passes constraints gets an assignment that may break
// them (the host checks and reports it); use any other built-in policy where rules matter.
//
// Configuration: none (any key is rejected).
//
// Bump the behaviour version whenever the same input would give a different assignment or
// placement (only to follow DL's code more closely: that is the point of this plugin).
#include "berth/plugin.hpp"
#include "dl157_placer.h"
#include "dl157_rebalance.h"

namespace {

using berth::dl157::Dl157Placer;
using berth::dl157::Dl157Rebalancer;

class Dl157Policy {
 public:
  using Placer = Dl157Placer;

  Dl157Policy(const berth_host_api* /*host*/, berth::plugin::Config& /*config*/) {}

  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
    rebalancer_.rebalance(request, out_owner);
  }

  Placer make_placer(const berth_server_set& servers, const double* server_load) const {
    return Placer(servers, server_load);
  }

 private:
  Dl157Rebalancer rebalancer_;
};

}  // namespace

BERTH_DEFINE_POLICY_PLUGIN(Dl157Policy, "dl157", "2.0.0", 2)
