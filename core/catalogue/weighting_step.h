// The leader's dynamic-weights step (docs/catalogue.md, "Dynamic weights"): each refresh,
// (the base's weighting, the signals reported since, the servers, a weigher) -> the next
// weighting and the servers with their effective capacities.
//
//   smoothing:  each signal is an EWMA, s += smoothing * (reported - s), one step per report in
//               the order heard; a name heard for the first time starts at its value.
//   bounds:     the weigher's target factor is clamped to [min_factor, max_factor].
//   hysteresis: the effective factor starts moving only when the target differs from it by more
//               than `hysteresis` times the effective factor, so noise moves nothing; from then
//               on it follows the target, in that direction, refresh after refresh, until the
//               target stops moving on (it turns back, or moves less than 0.01% of the factor
//               in a refresh); then it holds again until the next crossing.
// A server new to the weighting (none in the base) starts with no signals but those reported now,
// and takes its target at once; factor 1 (clamped to the bounds) if the weigher fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "plugin/instances.h"
#include "snapshot/columns.h"
#include "snapshot/weighting.h"

namespace berth {

struct WeightingSettings {
  double smoothing = 0.1;    // in (0, 1]: the weight of a new report
  double min_factor = 0.1;   // > 0
  double max_factor = 10;    // >= min_factor
  double hysteresis = 0.15;  // >= 0, relative to the effective factor
};

// What a host reported: a signal of a server (intake op `signal`).
struct SignalReport {
  std::string server;
  std::string name;
  double value = 0;
};

struct WeightingOutcome {
  std::shared_ptr<const ServerColumns> servers;  // capacities multiplied by the effective factors
  std::shared_ptr<const Weighting> weighting;
  uint64_t signals_applied = 0;
  std::vector<std::string> rejected;  // per refused report: what and where
  std::string weigher_failure;        // set when the weigher failed: the factors stayed as they were
  uint32_t factors_changed = 0;       // servers whose effective factor moved (new servers excepted)
};

// `base` may be null (no weighting yet). `servers` carry the configured capacities.
WeightingOutcome weighting_step(const Weighting* base, const std::vector<SignalReport>& reports,
                                std::shared_ptr<const ServerColumns> servers, const Weigher& weigher,
                                const WeightingSettings& settings);

}  // namespace berth
