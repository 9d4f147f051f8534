#include "water_fill.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace berth::least_load {
namespace {

// Where the filled amount f(L) = sum_j c_j * clamp(L - r_j, 0, g) changes slope: server j starts
// filling at r_j (slope + c_j) and stops at r_j + g (slope - c_j).
struct Breakpoint {
  double level;
  double slope_change;
  uint32_t server;
};

// The level L with f(L) = H, found by walking the breakpoints in order.
double water_level(std::span<const double> capacity, std::span<const double> relative, double room, double pour) {
  std::vector<Breakpoint> points;
  points.reserve(2 * capacity.size());
  for (uint32_t j = 0; j < capacity.size(); ++j) {
    points.push_back({relative[j], capacity[j], j});
    points.push_back({relative[j] + room, -capacity[j], j});
  }
  // A total order, so every node sums the slopes in the same order and gets the same bits.
  std::sort(points.begin(), points.end(), [](const Breakpoint& a, const Breakpoint& b) {
    if (a.level != b.level) return a.level < b.level;
    if (a.slope_change != b.slope_change) return a.slope_change < b.slope_change;
    return a.server < b.server;
  });
  double filled = 0.0;
  double slope = 0.0;
  for (size_t k = 0; k < points.size(); ++k) {
    if (k > 0 && slope > 0.0) {
      const double next = filled + slope * (points[k].level - points[k - 1].level);
      if (next >= pour) return points[k - 1].level + (pour - filled) / slope;
      filled = next;
    }
    slope += points[k].slope_change;
  }
  // Only rounding gets here (burst_cap = 1 fills exactly at the last breakpoint): every server
  // is at its cap.
  return points.back().level;
}

std::vector<double> proportional_to_capacity(std::span<const double> capacity) {
  return {capacity.begin(), capacity.end()};
}

}  // namespace

std::vector<double> water_fill_weights(std::span<const double> capacity, std::span<const double> load,
                                       const WaterFillSettings& settings) {
  const double total_load = std::accumulate(load.begin(), load.end(), 0.0);
  const double total_capacity = std::accumulate(capacity.begin(), capacity.end(), 0.0);
  const double pour = settings.headroom * total_load;
  // Nothing loaded yet (or loads too extreme to reason about): spread by capacity alone.
  if (!(pour > 0.0) || !std::isfinite(pour) || !std::isfinite(total_capacity))
    return proportional_to_capacity(capacity);

  const double room = settings.burst_cap * pour / total_capacity;
  std::vector<double> relative(capacity.size());
  for (size_t j = 0; j < capacity.size(); ++j) relative[j] = load[j] / capacity[j];
  const double level = water_level(capacity, relative, room, pour);

  std::vector<double> weight(capacity.size());
  double total_weight = 0.0;
  for (size_t j = 0; j < capacity.size(); ++j) {
    weight[j] = capacity[j] * std::clamp(level - relative[j], 0.0, room);
    total_weight += weight[j];
  }
  if (!(total_weight > 0.0) || !std::isfinite(total_weight)) return proportional_to_capacity(capacity);
  return weight;
}

}  // namespace berth::least_load
