// Spreading one tenant's streams across the values of a label (zones): at most `share` of them
// in any one zone. Decided here, per stream, so a policy only ever sees allowed servers: a stream
// stays in its current zone while that zone is under the cap; the rest go to the zones with the
// fewest, ties broken by zone name.
#pragma once

#include <string>
#include <vector>

#include "scripting/server_index.h"

namespace berth::rules {

struct SpreadResult {
  std::vector<Mask> zones;         // allowed servers of each zone, zones sorted by value; empty: none
  std::vector<uint32_t> zone_of;   // per stream given, an index into zones
  std::string note;                // set when the share cannot be met with the zones there are
};

// `owners[k]`: the current owner of stream k (BERTH_NO_SERVER when none). Servers without the
// label take no part.
SpreadResult spread_across(const ServerIndex& index, const Mask& allowed, const std::string& key, double share,
                           const std::vector<uint32_t>& owners);

}  // namespace berth::rules
