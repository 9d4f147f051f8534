// How least_load and sticky spread streams that are not in a snapshot yet: water-filling with
// headroom, with a cap on any one server's share.
//
// Between two snapshots every node places new streams against the same per-server loads, so a
// burst of new streams cannot see its own effect. Sending each to the least-loaded server of that
// shared snapshot sends the whole burst to one server (DL-157 added each stream's load on the
// node that placed it, which spreads a burst but makes nodes disagree). Instead the placer picks
// server j with probability p_j, the stream hash acting as the random draw:
//
//   r_j = load_j / c_j          relative load of up server j; c_j is its capacity
//   T   = sum_j load_j,  C = sum_j c_j
//   H   = headroom * T          the new load planned for until the next snapshot
//   g   = burst_cap * H / C     the most room, per unit of capacity, one server may offer
//   L   such that sum_j c_j * clamp(L - r_j, 0, g) = H          (the water level)
//   w_j = c_j * clamp(L - r_j, 0, g),   p_j = w_j / sum w = w_j / H
//
// Why this shape:
//   - Pouring H into the servers lowest first is what LPT would do with new load H: the streams
//     go to servers below the level, most to the emptiest, none to a server at or above L. In a
//     clearly unbalanced cluster L stays below the busy servers, so they get nothing.
//   - The clamp is the burst guard: w_j <= c_j * g, so p_j <= burst_cap * c_j / C. However large
//     a burst, no server expects more than burst_cap times its capacity share of it. (It is also
//     why a lone empty server among M gets about burst_cap / M of new streams, not all of them:
//     it cannot know whether the next snapshot is one stream or ten thousand streams away.)
//   - The headroom sets what counts as imbalance: when the servers differ by much less than
//     headroom * mean load, L is far above all of them and p_j is close to c_j / C.
//   - A solution always exists: the left side grows continuously from 0 to burst_cap * H >= H.
//
// The first design, H = max(headroom * T, C * (mean r - min r)) with no clamp, also bounds a
// server's share, by 2x its capacity share (since L - min r <= 2H / C). But it reaches that bound
// exactly for a single low server, so a 2x test limit fails on sampling noise alone, and it raises
// the level for every server instead of capping the emptiest, so more new streams land on servers
// above the mean than the cap requires.
#pragma once

#include <span>
#include <vector>

namespace berth::least_load {

struct WaterFillSettings {
  double headroom = 0.1;   // H / T: new load expected before the next snapshot, as a share of today's
  double burst_cap = 1.5;  // the most any server gets of new streams, in multiples of its capacity share
};

// w_j (>= 0, not all 0) for the up servers whose capacities and loads are given. When every load
// is 0 the weights are the capacities.
std::vector<double> water_fill_weights(std::span<const double> capacity, std::span<const double> load,
                                       const WaterFillSettings& settings);

}  // namespace berth::least_load
