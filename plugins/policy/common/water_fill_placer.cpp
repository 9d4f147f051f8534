#include "water_fill_placer.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "berth/plugin.hpp"
#include "server_roster.h"

namespace berth::least_load {

using plugin::Error;

WaterFillSettings read_water_fill_settings(plugin::Config& config) {
  const WaterFillSettings defaults;
  return WaterFillSettings{config.number("headroom", defaults.headroom, 0.001, 1000.0),
                           config.number("burst_cap", defaults.burst_cap, 1.0, 1000.0)};
}

WaterFillPlacer::WaterFillPlacer(const berth_server_set& servers, const double* server_load,
                                 const WaterFillSettings& settings) {
  const ServerRoster roster = read_roster(servers);
  if (roster.up.empty()) {
    no_server_reason_ = describe_no_up_server(roster);
    return;
  }
  if (server_load == nullptr) throw Error(BERTH_E_INVALID_ARGUMENT, "placer: server loads are NULL");

  std::vector<double> capacity, load;
  capacity.reserve(roster.up.size());
  load.reserve(roster.up.size());
  for (uint32_t i : roster.up) {
    if (!(server_load[i] >= 0.0 && std::isfinite(server_load[i]))) {
      std::ostringstream message;
      message << "placer: server '" << plugin::server_id(servers, i) << "' has load " << server_load[i]
              << "; loads must be finite and >= 0";
      throw Error(BERTH_E_INVALID_ARGUMENT, message.str());
    }
    capacity.push_back(servers.capacity[i]);
    load.push_back(server_load[i]);
  }
  const std::vector<double> weight = water_fill_weights(capacity, load, settings);

  // Lay the positive weights end to end on [0, 2^53); the last one drawn ends exactly at 2^53.
  double total = 0.0;
  size_t last = 0;
  for (size_t j = 0; j < weight.size(); ++j) {
    total += weight[j];
    if (weight[j] > 0.0) last = j;
  }
  double running = 0.0;
  uint64_t previous_cut = 0;
  for (size_t j = 0; j <= last; ++j) {
    if (!(weight[j] > 0.0)) continue;  // above the water level: never drawn
    running += weight[j];
    uint64_t cut = j == last ? kScale : static_cast<uint64_t>(std::ldexp(std::min(running / total, 1.0), 53));
    cut = std::max(cut, previous_cut);  // keeps the cuts ascending whatever the rounding
    if (cut == previous_cut) continue;  // a weight below 2^-53 of the total: an empty interval
    upper_.push_back(cut);
    server_.push_back(roster.up[j]);
    previous_cut = cut;
  }
}

uint32_t WaterFillPlacer::place(uint64_t stream_hash, double /*load*/) const {
  if (server_.empty()) throw Error(BERTH_E_NO_SERVERS, "cannot place a new stream: " + no_server_reason_);
  const uint64_t draw = stream_hash >> 11;  // uniform in [0, 2^53)
  // The first interval whose upper end is above the draw (one exists: the last ends at 2^53).
  // Branch-free halving: the draws are random, so std::upper_bound's branches mispredicted
  // about every other step (46 ns at 1000 servers).
  size_t first = 0;
  size_t length = upper_.size();
  while (length > 1) {
    const size_t half = length / 2;
    first = upper_[first + half - 1] <= draw ? first + half : first;
    length -= half;
  }
  return server_[first];
}

}  // namespace berth::least_load
