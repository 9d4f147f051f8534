#include "rendezvous.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "draw_kernel.h"

namespace berth::weighted {

double portable_ln(double x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716.
  int e = 0;
  double m = std::frexp(x, &e);  // exact; m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;  // exact
    --e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;  // <= 0.02944: the 11 terms below leave an error below 1e-18
  double series = 1.0 / 21.0;
  series = 1.0 / 19.0 + s2 * series;
  series = 1.0 / 17.0 + s2 * series;
  series = 1.0 / 15.0 + s2 * series;
  series = 1.0 / 13.0 + s2 * series;
  series = 1.0 / 11.0 + s2 * series;
  series = 1.0 / 9.0 + s2 * series;
  series = 1.0 / 7.0 + s2 * series;
  series = 1.0 / 5.0 + s2 * series;
  series = 1.0 / 3.0 + s2 * series;
  series = 1.0 + s2 * series;
  constexpr double kLn2 = 0.69314718055994530942;
  return static_cast<double>(e) * kLn2 + 2.0 * s * series;
}

uint64_t server_key(std::string_view id) {
  constexpr uint64_t kSeed = 0x7765696768746564ULL;  // "weighted"
  return XXH3_64bits_withSeed(id.data(), id.size(), kSeed);
}

Rendezvous::Rendezvous(const berth_server_set& servers, std::span<const uint32_t> candidates) {
  key_.reserve(candidates.size());
  inverse_weight_.reserve(candidates.size());
  server_.reserve(candidates.size());
  position_of_.assign(servers.count, UINT32_MAX);
  for (uint32_t j : candidates) {
    position_of_[j] = static_cast<uint32_t>(server_.size());
    const uint64_t offset = servers.id_offsets[j];
    key_.push_back(server_key({servers.id_arena + offset, servers.id_offsets[j + 1] - offset}));
    inverse_weight_.push_back(1.0 / servers.capacity[j]);
    server_.push_back(j);
  }
  // Groups of equal weight, in candidate order within each group. Found by a linear search over
  // the distinct weights seen so far, given up once there are too many for grouping to pay (then
  // choose() scores one by one): a sort here cost more than a steady-state refresh saves.
  const size_t most_groups = server_.size() / 4;
  std::vector<uint64_t> group_weight;
  std::vector<uint32_t> group_of(server_.size());
  for (size_t k = 0; k < server_.size(); ++k) {
    const uint64_t bits = std::bit_cast<uint64_t>(inverse_weight_[k]);
    size_t g = 0;
    while (g < group_weight.size() && group_weight[g] != bits) ++g;
    if (g == group_weight.size()) {
      if (group_weight.size() == most_groups) return;  // too many distinct weights: no groups
      group_weight.push_back(bits);
    }
    group_of[k] = static_cast<uint32_t>(g);
  }
  std::vector<size_t> fill(group_weight.size() + 1, 0);
  for (uint32_t g : group_of) ++fill[g + 1];
  for (size_t g = 0; g < group_weight.size(); ++g) {
    fill[g + 1] += fill[g];
    groups_.push_back(WeightGroup{fill[g], fill[g + 1]});
  }
  grouped_key_.resize(server_.size());
  grouped_position_.resize(server_.size());
  for (size_t k = 0; k < server_.size(); ++k) {
    const size_t t = fill[group_of[k]]++;
    grouped_key_[t] = key_[k];
    grouped_position_[t] = static_cast<uint32_t>(k);
  }
}

// Within a group of equal weight the score ln(u) / w grows with the draw, so a server whose draw
// is clearly below the group's largest cannot win, and its logarithm is never computed: only the
// draws within kMargin of the largest are scored, by the exact rule (highest score, an exact tie
// to the smaller key). That is the same winner as scoring every candidate, not an approximation:
// kMargin = 2^24 in draw units is at least 2^13 - 1 steps of u's 2^-53 grid, a gap in ln(u) of at
// least 9e-13, while portable_ln's error is below 1e-15 x |ln u| <= 4e-14 (u >= 2^-54), and
// multiplying by the same 1 / w cannot merge scores that far apart. So within a group a
// candidate below the margin scores strictly less than the group's largest draw.
//
// Weights that are nearly all different (no groups were made) gain nothing from grouping: those
// are scored one by one, as choose_among() does.
uint32_t Rendezvous::choose(uint64_t stream_hash) const {
  if (groups_.empty()) return choose_among(stream_hash, server_);
  constexpr uint64_t kMargin = uint64_t{1} << 24;
  thread_local std::vector<uint64_t> draws;  // place() runs on many threads at once
  if (draws.size() < grouped_key_.size()) draws.resize(grouped_key_.size());
  double best = -std::numeric_limits<double>::infinity();
  size_t winner = SIZE_MAX;
  for (const WeightGroup& group : groups_) {
    const size_t n = group.end - group.begin;
    const uint64_t top = compute_draws(grouped_key_.data() + group.begin, n, stream_hash, draws.data());
    const uint64_t floor = top > kMargin ? top - kMargin : 0;
    // Nearly always the largest draw alone is within the margin: then it is the only candidate.
    const AtLeast near_top = count_at_least(draws.data(), n, floor);
    const size_t first = near_top.count == 1 ? near_top.position_sum : 0;
    const size_t last = near_top.count == 1 ? near_top.position_sum + 1 : n;
    for (size_t t = first; t < last; ++t) {
      if (draws[t] < floor) continue;
      const size_t k = grouped_position_[group.begin + t];
      const double u = (static_cast<double>(draws[t] >> 11) + 0.5) * 0x1p-53;  // in (0, 1), never 1
      const double score = portable_ln(u) * inverse_weight_[k];
      // An exact tie (two equal draws) goes to the smaller key: independent of server indices.
      if (winner == SIZE_MAX || score > best || (score == best && key_[k] < key_[winner])) {
        best = score;
        winner = k;
      }
    }
  }
  return server_[winner];
}

// Every candidate scored in turn. Since ln(u) <= u - 1, (u - 1) / w bounds a score from above; a
// candidate whose bound (widened by 1e-9, far more than any rounding of the score) is below the
// best so far cannot win, and its logarithm is skipped: a shortcut, not part of the definition.
uint32_t Rendezvous::choose_among(uint64_t stream_hash, std::span<const uint32_t> servers) const {
  constexpr double kWiden = 1.0 - 1e-9;
  double best = -std::numeric_limits<double>::infinity();
  size_t winner = position_of_[servers.front()];
  for (uint32_t j : servers) {
    const size_t k = position_of_[j];
    const uint64_t draw = mix64(stream_hash ^ key_[k]);
    const double u = (static_cast<double>(draw >> 11) + 0.5) * 0x1p-53;
    if ((u - 1.0) * inverse_weight_[k] * kWiden < best) continue;
    const double score = portable_ln(u) * inverse_weight_[k];
    if (score > best || (score == best && key_[k] < key_[winner])) {
      best = score;
      winner = k;
    }
  }
  return server_[winner];
}

}  // namespace berth::weighted
