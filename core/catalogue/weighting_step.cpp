#include "catalogue/weighting_step.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "common/error.h"

namespace berth {
namespace {

// The index of server `id` in columns sorted by id, or size() when absent.
uint32_t index_of(const ServerColumns& servers, std::string_view id) {
  uint32_t lo = 0, hi = servers.size();
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (servers.ids.at(mid) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < servers.size() && servers.ids.at(lo) == id ? lo : servers.size();
}

// Folds one report into a server's smoothed signals; "" or why it was refused.
std::string fold(WeighedServer& server, const SignalReport& r, double smoothing) {
  if (std::string problem = signal_name_problem(r.name); !problem.empty()) return problem;
  if (!std::isfinite(r.value)) return "the value is not finite";
  auto it = std::lower_bound(server.signals.begin(), server.signals.end(), r.name,
                             [](const Signal& s, const std::string& n) { return s.name < n; });
  if (it != server.signals.end() && it->name == r.name) {
    const double next = it->value + smoothing * (r.value - it->value);
    if (std::isfinite(next)) it->value = next;
    else it->value = r.value;  // the difference overflowed: the report is itself finite
    return "";
  }
  if (server.signals.size() >= kMaxSignalsPerServer)
    return "the server already has " + std::to_string(kMaxSignalsPerServer) + " signals";
  server.signals.insert(it, Signal{r.name, r.value});
  return "";
}

// A followed target must move on by more than this share of the factor in a refresh, else the
// factor stops following it (a smoothed average reaching its level moves on by less and less).
constexpr double kOnwardShare = 1e-4;

}  // namespace

WeightingOutcome weighting_step(const Weighting* base, const std::vector<SignalReport>& reports,
                                std::shared_ptr<const ServerColumns> servers, const Weigher& weigher,
                                const WeightingSettings& settings) {
  const ServerColumns& in = *servers;
  const uint32_t n = in.size();
  auto next = std::make_shared<Weighting>();
  next->plugin = weigher.plugin().name;
  next->servers.resize(n);
  std::vector<bool> known(n, false);
  for (uint32_t i = 0; i < n; ++i) {
    WeighedServer& w = next->servers[i];
    w.id = std::string(in.ids.at(i));
    w.capacity = in.capacity[i];
    if (const WeighedServer* before = base != nullptr ? base->find(w.id) : nullptr) {
      w.factor = before->factor;
      w.following = before->following;
      w.signals = before->signals;
      known[i] = true;
    }
    w.factor = std::clamp(w.factor, settings.min_factor, settings.max_factor);
  }

  WeightingOutcome out;
  for (size_t k = 0; k < reports.size(); ++k) {
    const SignalReport& r = reports[k];
    const uint32_t i = index_of(in, r.server);
    std::string problem = i == n ? "no such server in this version" : fold(next->servers[i], r, settings.smoothing);
    if (problem.empty()) {
      ++out.signals_applied;
    } else {
      out.rejected.push_back("signal report #" + std::to_string(k) + " (server '" + r.server.substr(0, 64) +
                             "', signal '" + r.name.substr(0, 64) + "'): " + problem);
    }
  }

  // The signals as the weigher sees them: flat arrays with offsets.
  std::vector<uint64_t> begin(n + 1, 0), name_offsets(1, 0);
  std::string arena;
  std::vector<double> values;
  for (uint32_t i = 0; i < n; ++i) {
    for (const Signal& s : next->servers[i].signals) {
      arena += s.name;
      name_offsets.push_back(arena.size());
      values.push_back(s.value);
    }
    begin[i + 1] = values.size();
  }
  const berth_signal_set signals{BERTH_SIZE_THROUGH(berth_signal_set, value), n, begin.data(), arena.data(),
                                 name_offsets.data(), values.data()};
  std::vector<double> target(n, 1.0);
  try {
    weigher.weigh(in.view(), signals, target.data());
    for (uint32_t i = 0; i < n; ++i) {
      WeighedServer& w = next->servers[i];
      const double t = std::clamp(target[i], settings.min_factor, settings.max_factor);
      // A server new to the weighting takes its target at once: nothing was placed by a factor of its own yet.
      if (!known[i]) {
        w.factor = t;
        w.following = 0;
        continue;
      }
      const double gap = t - w.factor;
      const double threshold = settings.hysteresis * w.factor;
      // A target that stopped moving on (it turned back, or stands all but still) ends the
      // following: the factor holds where it is until the next crossing.
      if (w.following != 0 && gap * w.following <= kOnwardShare * w.factor) w.following = 0;
      if (w.following == 0 && std::abs(gap) > threshold) w.following = gap > 0 ? 1 : -1;
      if (w.following != 0) {
        ++out.factors_changed;
        w.factor = t;
      }
    }
  } catch (const Error& e) {
    out.weigher_failure = e.what();
  }

  auto columns = std::make_shared<ServerColumns>(in);
  for (uint32_t i = 0; i < n; ++i) {
    // A product that over- or underflows leaves the configured capacity, which was valid.
    const double effective = next->servers[i].effective_capacity();
    if (std::isfinite(effective) && effective > 0) columns->capacity[i] = effective;
  }
  out.servers = std::move(columns);
  out.weighting = std::move(next);
  return out;
}

}  // namespace berth
