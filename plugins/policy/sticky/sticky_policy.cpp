// Policy "sticky", behaviour version 2: the production default. rebalance() starts from the
// previous assignment and moves only what brings every up server back inside a hysteresis band
// around its fair share by capacity, within a move budget per refresh (sticky_rebalance.h).
// Streams not in a snapshot yet are placed by the capped water-filling placer least_load uses too
// (common/water_fill.h).
//
// Version 2 (from 1): a server whose largest stream alone exceeds the band top sheds its other
// streams onto the balanced servers (oversized_servers.h), where version 1 left them there for
// ever; and placement constraints (ABI 1.1) are honoured: a stream goes only to servers its class
// allows, preferring its preferred ones while they stay inside the band, and a stream on a server
// its class does not allow is moved off it outside the move budget (a hard constraint cannot wait
// for budget left over; the rules that changed are what moves those streams, and the host reports
// them). Without constraints and without oversized streams it gives version 1's assignment.
//
// Configuration (all optional; unknown keys are rejected):
//   band                    = hysteresis, as a share of a server's fair load (default 0.02): nothing
//                             moves while every up server is within (1 +- band) x its fair share;
//                             a server outside is brought back within (1 +- band/2).
//   max_moves               = streams moved per refresh, a whole number or "unlimited" (default).
//                             Streams that have no owner (new, or their server left) are always
//                             placed and do not count; streams taken off draining servers do.
//   max_moved_load_fraction = load moved per refresh, as a share of the total load (default 1).
//   headroom, burst_cap     = the placer's, as for least_load (defaults 0.1 and 1.5).
//
// Bump the behaviour version whenever the same input would give a different assignment or
// placement, including a change of these defaults.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

#include "berth/plugin.hpp"
#include "sticky_rebalance.h"
#include "water_fill_placer.h"

namespace {

using berth::least_load::WaterFillPlacer;
using berth::least_load::read_water_fill_settings;
using berth::least_load::WaterFillSettings;
using berth::plugin::Error;
using berth::sticky::StickyOutcome;
using berth::sticky::StickyRebalancer;
using berth::sticky::StickySettings;

uint64_t read_max_moves(berth::plugin::Config& config, uint64_t fallback) {
  const berth_kv* kv = config.find("max_moves", berth::plugin::kInteger | berth::plugin::kString, "an integer or \"unlimited\"");
  if (kv == nullptr) return fallback;
  const std::string value = kv->value;
  if (value == "unlimited") return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long parsed = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || value[0] < '0' || value[0] > '9' || *end != '\0' || errno == ERANGE)
    throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + value + "' is not a whole number >= 0 or \"unlimited\"");
  return static_cast<uint64_t>(parsed);
}

StickySettings read_settings(berth::plugin::Config& config) {
  const StickySettings defaults;
  StickySettings settings;
  settings.band = config.number("band", defaults.band, 0.0, 0.5);
  settings.max_moves = read_max_moves(config, defaults.max_moves);
  settings.max_moved_load_fraction =
      config.number("max_moved_load_fraction", defaults.max_moved_load_fraction, 0.0, 1.0);
  return settings;
}

class StickyPolicy {
 public:
  using Placer = WaterFillPlacer;

  StickyPolicy(const berth_host_api* host, berth::plugin::Config& config)
      : host_(host), rebalancer_(read_settings(config)), placer_settings_(read_water_fill_settings(config)) {}

  void rebalance(const berth_rebalance_request& request, uint32_t* out_owner) {
    const StickyOutcome outcome = rebalancer_.rebalance(request, out_owner);
    report(outcome);
  }

  Placer make_placer(const berth_server_set& servers, const double* server_load) const {
    return Placer(servers, server_load, placer_settings_);
  }

 private:
  // What moved and the balance reached; the engine's metrics carry the same figures.
  void report(const StickyOutcome& o) const {
    if (host_ == nullptr || host_->log == nullptr) return;
    std::ostringstream line;
    line << "sticky: placed " << o.placed << " streams without an owner (" << o.evicted
         << " of them off servers their class does not allow), moved " << o.drained << " off draining servers, "
         << o.shed << " off servers beside an oversized stream and " << o.balanced << " to rebalance (load "
         << o.moved_load << "); "
         << o.triggered << " servers were outside the band";
    if (o.level > 0) line << "; max/level " << o.max_relative / o.level;
    if (o.left_draining > 0) line << "; " << o.left_draining << " streams still on draining servers";
    if (o.budget_spent) line << "; the move budget ran out first";
    berth::plugin::log(host_, o.budget_spent ? BERTH_LOG_INFO : BERTH_LOG_DEBUG, line.str());
  }

  const berth_host_api* host_;
  StickyRebalancer rebalancer_;
  WaterFillSettings placer_settings_;
};

}  // namespace

BERTH_DEFINE_POLICY_PLUGIN(StickyPolicy, "sticky", "1.1.0", 2)
