#include "scripting/spread.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace berth::rules {

SpreadResult spread_across(const ServerIndex& index, const Mask& allowed, const std::string& key, double share,
                           const std::vector<uint32_t>& owners) {
  SpreadResult out;
  std::vector<uint32_t> zone_of_server(index.size(), UINT32_MAX);
  for (const std::string& value : index.values(key)) {
    Mask zone = index.with_label(key, {value});
    and_with(zone, allowed);
    if (!any(zone)) continue;
    for_each(zone, [&](uint32_t s) { zone_of_server[s] = static_cast<uint32_t>(out.zones.size()); });
    out.zones.push_back(std::move(zone));
  }
  if (out.zones.empty()) return out;

  uint64_t n = owners.size();
  uint64_t zones = out.zones.size();
  auto cap = static_cast<uint64_t>(std::floor(share * static_cast<double>(n) + 1e-9));
  uint64_t least = (n + zones - 1) / zones;  // what the zones there are can do at best
  if (cap < std::max<uint64_t>(least, 1) && n > 0) {
    if (n > 1) out.note = fmt::format("at most {:.0f}% of {} streams per '{}' needs more than the {} zone(s) allowed; capped at {} per zone",
                                      100 * share, n, key, zones, least);
    cap = std::max<uint64_t>(least, 1);
  }

  out.zone_of.assign(n, UINT32_MAX);
  std::vector<uint64_t> count(zones, 0);
  for (uint64_t k = 0; k < n; ++k) {  // stay where they are while there is room
    uint32_t owner = owners[k];
    if (owner >= index.size()) continue;
    uint32_t z = zone_of_server[owner];
    if (z == UINT32_MAX || count[z] >= cap) continue;
    out.zone_of[k] = z;
    ++count[z];
  }
  for (uint64_t k = 0; k < n; ++k) {  // the rest: the emptiest zone, by name on ties
    if (out.zone_of[k] != UINT32_MAX) continue;
    auto z = static_cast<uint32_t>(std::min_element(count.begin(), count.end()) - count.begin());
    out.zone_of[k] = z;
    ++count[z];
  }
  return out;
}

}  // namespace berth::rules
