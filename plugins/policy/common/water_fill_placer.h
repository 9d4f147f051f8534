// The water-filling placer of least_load and sticky: where a stream that is not in the snapshot
// yet goes. Built once per snapshot from (servers, server_load); place() is then a pure,
// lock-free function of the stream hash, safe to call from many threads, and the same on every
// node.
//
// The weights from water_fill.h are laid end to end in server order and scaled to [0, 2^53); the
// top 53 bits of the stream hash pick the interval they fall in (a binary search, O(log M)).
// Integer cut points make the choice exact: no rounding at place() time can differ between nodes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/plugin.h"
#include "water_fill.h"

namespace berth::plugin {
class Config;
}

namespace berth::least_load {

// The placer's configuration keys, optional: headroom in [0.001, 1000] and burst_cap in
// [1, 1000] (water_fill.h). Throws Error(BERTH_E_CONFIG) naming the key for a value out of range.
WaterFillSettings read_water_fill_settings(plugin::Config& config);

class WaterFillPlacer {
 public:
  // Throws Error(BERTH_E_INVALID_ARGUMENT) for malformed servers or loads. No up server is not an
  // error here (the snapshot still serves the streams it has); place() reports it.
  WaterFillPlacer(const berth_server_set& servers, const double* server_load, const WaterFillSettings& settings);

  // The server for a new stream. `load` does not matter: the weights already plan for the burst
  // the stream is part of. Throws Error(BERTH_E_NO_SERVERS) when no server is up.
  uint32_t place(uint64_t stream_hash, double load) const;

 private:
  static constexpr uint64_t kScale = uint64_t{1} << 53;

  std::vector<uint64_t> upper_;   // interval k is [upper_[k - 1], upper_[k]); upper_.back() == kScale
  std::vector<uint32_t> server_;  // the server index of interval k
  std::string no_server_reason_;  // set when no server is up
};

}  // namespace berth::least_load
