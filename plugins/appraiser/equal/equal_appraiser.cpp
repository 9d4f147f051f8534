// Appraiser "equal": every stream has load 1, so a load-balancing policy balances stream counts.
// The port of DistributedLog's EqualLoadAppraiser, and the right choice when nothing is measured.
#include <algorithm>

#include "berth/plugin.hpp"

namespace {

class EqualAppraiser {
 public:
  EqualAppraiser(const berth_host_api* /*host*/, berth::plugin::Config& /*config*/) {}

  void appraise(const berth_stream_set& streams, double* out_load) const {
    std::fill_n(out_load, streams.count, 1.0);
  }
};

}  // namespace

BERTH_DEFINE_APPRAISER_PLUGIN(EqualAppraiser, "equal", "1.0.0")
