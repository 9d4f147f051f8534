// Appraiser "metered": a stream's load is the rate its host measured and reported through the C
// API (berth_engine_report_load), smoothed per stream by an exponentially weighted moving average
// so that ordinary noise in the measurements does not move streams:
//
//   smoothed = smoothed + alpha * (reported - smoothed)      once per refresh
//
// What reaches appraise() (core/engine/refresh.cpp): for each stream, the report heard since the
// last refresh if there was one (the latest, when several were), otherwise the stream's load in
// the previous snapshot, i.e. what this appraiser said last time (rounded to float). The average
// therefore advances one step per refresh, and a stream without a new report holds its level.
// NaN means nothing is known: a stream added without a load and never reported.
//
//   - A stream with no state yet starts at its first usable value (no ramp from zero).
//   - No usable value (NaN, or a negative or infinite report, which are counted and logged) keeps
//     the smoothed load, or gives `default_load` to a stream that has none.
//   - State is kept between calls per stream (see smoothed_loads.h) and dropped for streams that
//     are no longer in the stream set: one that comes back starts afresh.
//
// Limits: the state lives in the leader's appraiser. A new leader starts from the loads of the
// snapshot it inherits (already smoothed) plus whatever raw reports are pending, so a stream with
// a pending report jumps to it once. A refresh that fails after appraise() (publish fenced, policy
// error) has still advanced the averages; its pending reports are applied again on the retry.
//
// Configuration: alpha = the weight of each new value, in (0, 1], 0.3 when absent (1 means no
// smoothing); default_load = a number in [0, 1e9], 1.0 when absent.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "berth/plugin.hpp"
#include "smoothed_loads.h"

namespace {

using berth::plugin::Error;

double read_alpha(berth::plugin::Config& config) {
  const berth_kv* kv = config.find("alpha", berth::plugin::kNumber, "a number");
  if (kv == nullptr) return 0.3;
  char* end = nullptr;
  const double alpha = std::strtod(kv->value, &end);
  if (end == kv->value || *end != '\0' || !(alpha > 0.0 && alpha <= 1.0))
    throw Error(BERTH_E_CONFIG, config.where(*kv) + "'" + kv->value +
                                    "' is not a number in (0, 1] (the weight of each new measurement)");
  return alpha;
}

class MeteredAppraiser {
 public:
  MeteredAppraiser(const berth_host_api* host, berth::plugin::Config& config)
      : host_(host), alpha_(read_alpha(config)), default_load_(config.number("default_load", 1.0, 0.0, 1e9)) {}

  void appraise(const berth_stream_set& streams, double* out_load) {
    if (streams.count > 0 && (streams.id_arena == nullptr || streams.id_offsets == nullptr || streams.hash == nullptr))
      throw Error(BERTH_E_INVALID_ARGUMENT,
                  "appraise of " + std::to_string(streams.count) + " streams without their ids or hashes");
    constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
    uint64_t invalid = 0;
    state_.begin_pass();
    for (uint64_t i = 0; i < streams.count; ++i) {
      double reported = streams.reported_load != nullptr ? streams.reported_load[i] : kNone;
      const bool usable = std::isfinite(reported) && reported >= 0.0;
      if (!usable && !std::isnan(reported)) ++invalid;
      if (reported == 0.0) reported = 0.0;  // no -0.0

      const std::string_view id = berth::plugin::stream_id(streams, i);
      if (double* smoothed = state_.find(streams.hash[i], id)) {
        if (usable) *smoothed = alpha_ == 1.0 ? reported : *smoothed + alpha_ * (reported - *smoothed);
        out_load[i] = *smoothed;
      } else if (usable) {
        state_.insert(streams.hash[i], id, reported);
        out_load[i] = reported;
      } else {
        out_load[i] = default_load_;
      }
    }
    state_.end_pass();
    if (invalid > 0)
      berth::plugin::log(host_, BERTH_LOG_WARN,
                         std::to_string(invalid) + " of " + std::to_string(streams.count) +
                             " streams reported a negative or infinite load; kept their smoothed load");
  }

 private:
  const berth_host_api* host_;
  double alpha_;
  double default_load_;
  berth::metered::SmoothedLoads state_;
};

}  // namespace

BERTH_DEFINE_APPRAISER_PLUGIN(MeteredAppraiser, "metered", "1.0.0")
