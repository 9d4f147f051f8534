// Synthetic workloads for the simulator, the benchmarks and the tests: stream ids and loads
// drawn from a named distribution with a fixed seed, so every run and every node sees the same.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

enum class LoadDistribution { equal, lognormal, zipf };

// "equal", "lognormal" or "zipf"; throws Error(BERTH_E_INVALID_ARGUMENT) naming the choices.
LoadDistribution parse_distribution(std::string_view name);
const char* distribution_name(LoadDistribution dist) noexcept;

struct Workload {
  std::vector<std::string> stream_ids;
  std::vector<double> loads;
};

// `count` streams named "<prefix><index>" (e.g. "stream-000042") with loads from `dist`:
// equal = 1; lognormal = exp(N(0, 1)) (median 1, heavy right tail); zipf = 1000 / rank^1.1 over a
// shuffled rank, the shape of real per-key traffic.
Workload make_workload(uint64_t count, LoadDistribution dist, uint64_t seed, std::string_view prefix = "stream-");

// Server ids "server-0000".. in a form that sorts by number.
std::vector<std::string> make_server_ids(uint32_t count, std::string_view prefix = "server-");

// Multiplies every load by a factor drawn uniformly from [1 - spread, 1 + spread].
void drift_loads(std::vector<double>& loads, double spread, uint64_t seed);

}  // namespace berth
