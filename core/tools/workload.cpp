#include "tools/workload.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "common/error.h"

namespace berth {

LoadDistribution parse_distribution(std::string_view name) {
  if (name == "equal") return LoadDistribution::equal;
  if (name == "lognormal") return LoadDistribution::lognormal;
  if (name == "zipf") return LoadDistribution::zipf;
  throw Error(BERTH_E_INVALID_ARGUMENT, fmt::format("unknown load distribution '{}' (choose equal, lognormal or zipf)", name));
}

const char* distribution_name(LoadDistribution dist) noexcept {
  switch (dist) {
    case LoadDistribution::equal: return "equal";
    case LoadDistribution::lognormal: return "lognormal";
    case LoadDistribution::zipf: return "zipf";
  }
  return "?";
}

Workload make_workload(uint64_t count, LoadDistribution dist, uint64_t seed, std::string_view prefix) {
  Workload w;
  w.stream_ids.reserve(count);
  w.loads.reserve(count);
  int width = std::max<int>(6, static_cast<int>(std::to_string(count).size()));
  for (uint64_t i = 0; i < count; ++i) w.stream_ids.push_back(fmt::format("{}{:0{}}", prefix, i, width));

  std::mt19937_64 rng(seed);
  switch (dist) {
    case LoadDistribution::equal:
      w.loads.assign(count, 1.0);
      break;
    case LoadDistribution::lognormal: {
      std::lognormal_distribution<double> lognormal(0.0, 1.0);
      for (uint64_t i = 0; i < count; ++i) w.loads.push_back(lognormal(rng));
      break;
    }
    case LoadDistribution::zipf: {
      std::vector<uint64_t> rank(count);
      std::iota(rank.begin(), rank.end(), 1);
      std::shuffle(rank.begin(), rank.end(), rng);
      for (uint64_t r : rank) w.loads.push_back(1000.0 / std::pow(static_cast<double>(r), 1.1));
      break;
    }
  }
  return w;
}

std::vector<std::string> make_server_ids(uint32_t count, std::string_view prefix) {
  std::vector<std::string> ids;
  ids.reserve(count);
  for (uint32_t i = 0; i < count; ++i) ids.push_back(fmt::format("{}{:04}", prefix, i));
  return ids;
}

void drift_loads(std::vector<double>& loads, double spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> factor(1.0 - spread, 1.0 + spread);
  for (double& load : loads) load *= factor(rng);
}

}  // namespace berth
