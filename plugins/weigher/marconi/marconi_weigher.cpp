// Weigher "marconi": Marconi's phase-2 rule for storage nodes. A server's factor falls with its
// CPU load and rises with its free capacity:
//
//   cpu_term(c)  = 1 / (1 + cpu_weight * c)            c = cpu_load, clamped to [0, 1e6]
//   free_term(f) = free_floor + (1 - free_floor) * f   f = free_capacity, clamped to [0, 1]
//   factor       = cpu_term(c) * free_term(f) / (cpu_term(c0) * free_term(f0))
//
// cpu_load is the busy share of the server's cores (1: all busy; more when queued), free_capacity
// the share of its storage still free. c0 and f0 are the defaults below: a server reporting them
// (or nothing) gets factor 1, so the host's bounds read as "at most k times an ordinary server".
// A missing signal (or one that is not finite) counts as its default. Every factor is > 0 and
// finite: cpu_term >= 1 / (1 + 100 * 1e6) and free_term >= free_floor > 0.
//
// Keys ([weigher]): cpu_weight (2, in [0, 100]), free_floor (0.1, in [0.001, 1]),
// cpu_load_default (0.5, in [0, 1000]), free_capacity_default (0.5, in [0, 1]).
#include <algorithm>
#include <cmath>

#include "berth/plugin.hpp"

namespace {

class MarconiWeigher {
 public:
  MarconiWeigher(const berth_host_api* /*host*/, berth::plugin::Config& config)
      : cpu_weight_(config.number("cpu_weight", 2.0, 0.0, 100.0)),
        free_floor_(config.number("free_floor", 0.1, 0.001, 1.0)),
        cpu_default_(config.number("cpu_load_default", 0.5, 0.0, 1000.0)),
        free_default_(config.number("free_capacity_default", 0.5, 0.0, 1.0)),
        neutral_(raw(cpu_default_, free_default_)) {}

  void weigh(const berth_server_set& servers, const berth_signal_set& signals, double* out_factor) const {
    for (uint32_t i = 0; i < servers.count; ++i) {
      double cpu = cpu_default_, free = free_default_;
      for (uint64_t k = signals.signal_begin[i]; k < signals.signal_begin[i + 1]; ++k) {
        const std::string_view name = berth::plugin::signal_name(signals, k);
        const double value = signals.value[k];
        if (!std::isfinite(value)) continue;
        if (name == "cpu_load") cpu = value;
        else if (name == "free_capacity") free = value;
      }
      out_factor[i] = raw(cpu, free) / neutral_;
    }
  }

 private:
  double raw(double cpu, double free) const {
    const double c = std::clamp(cpu, 0.0, 1e6);
    const double f = std::clamp(free, 0.0, 1.0);
    return (1.0 / (1.0 + cpu_weight_ * c)) * (free_floor_ + (1.0 - free_floor_) * f);
  }

  double cpu_weight_, free_floor_, cpu_default_, free_default_;
  double neutral_;
};

}  // namespace

BERTH_DEFINE_WEIGHER_PLUGIN(MarconiWeigher, "marconi", "1.0.0")
