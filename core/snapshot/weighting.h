// Dynamic weights (docs/catalogue.md, "Dynamic weights"): per server, the signals its hosts
// reported, smoothed; the configured capacity; and the effective factor the version's capacity is
// that capacity times. Immutable once built and shared between versions while unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

struct Snapshot;

// A signal name is 1 to kMaxSignalNameBytes bytes; a server keeps at most kMaxSignalsPerServer
// distinct names (reports of further names are refused), so no host can grow a snapshot without
// bound.
inline constexpr size_t kMaxSignalNameBytes = 64;
inline constexpr size_t kMaxSignalsPerServer = 32;

struct Signal {
  std::string name;
  double value = 0;  // finite
};

struct WeighedServer {
  std::string id;
  double capacity = 1;          // configured, > 0
  double factor = 1;            // effective, > 0 and finite
  // The factor follows its target since the target crossed the hysteresis: +1 up, -1 down; 0
  // holding (catalogue/weighting_step.h).
  int8_t following = 0;
  std::vector<Signal> signals;  // smoothed; names ascending, distinct

  const Signal* signal(std::string_view name) const noexcept;
  double effective_capacity() const noexcept { return capacity * factor; }
};

struct Weighting {
  std::string plugin;                  // the weigher that computed the factors
  std::vector<WeighedServer> servers;  // ids ascending, distinct

  const WeighedServer* find(std::string_view id) const noexcept;
};

// Server j's entry in the snapshot's weighting; null when the snapshot has none.
const WeighedServer* weighed_server(const Snapshot& snapshot, uint32_t j) noexcept;

// Why a signal name cannot be stored (empty, too long, a control character), or "" when it can.
std::string signal_name_problem(std::string_view name);

}  // namespace berth
