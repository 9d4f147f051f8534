// Appraiser "reported": a stream's load is the rate its host measured (berth_stream_set's
// reported_load). A stream nobody has measured yet (NaN) gets `default_load`, so a new stream
// counts as an ordinary one rather than as free. A value no meter can produce (negative or
// infinite) is treated the same way, and the call logs how many there were so a broken reporter
// shows up instead of silently skewing placement.
//
// Configuration: default_load = a number in [0, 1e9], 1.0 when absent.
#include <algorithm>
#include <cmath>
#include <string>

#include "berth/plugin.hpp"

namespace {

class ReportedAppraiser {
 public:
  ReportedAppraiser(const berth_host_api* host, berth::plugin::Config& config)
      : host_(host),
        default_load_(config.number("default_load", 1.0, 0.0, 1e9)) {}

  void appraise(const berth_stream_set& streams, double* out_load) const {
    if (streams.reported_load == nullptr) {  // a host that measures nothing at all
      std::fill_n(out_load, streams.count, default_load_);
      return;
    }
    uint64_t invalid = 0;
    for (uint64_t i = 0; i < streams.count; ++i) {
      const double reported = streams.reported_load[i];
      const bool usable = std::isfinite(reported) && reported >= 0.0;
      if (!usable && !std::isnan(reported)) ++invalid;
      out_load[i] = usable ? reported : default_load_;
    }
    if (invalid > 0)
      berth::plugin::log(host_, BERTH_LOG_WARN,
                         std::to_string(invalid) + " of " + std::to_string(streams.count) +
                             " streams reported a negative or infinite load; used default_load for them");
  }

 private:
  const berth_host_api* host_;
  double default_load_;
};

}  // namespace

BERTH_DEFINE_APPRAISER_PLUGIN(ReportedAppraiser, "reported", "1.0.0")
