// publish() and fetch(), the ABI 1.0 calls, for a backend that has snapshot deltas (ABI 1.1): a
// full snapshot is a publication based on nothing, and fetch() is fetch_latest() without the
// base. A backend class derives from FullSnapshotCalls<itself> and writes only the delta calls.
#pragma once

#include <cstdint>
#include <string_view>

#include "berth/plugin.hpp"

namespace berth::backend {

template <class Backend>
class FullSnapshotCalls {
 public:
  void publish(uint64_t epoch, uint64_t version, std::string_view bytes) {
    self().publish_based(epoch, version, 0, bytes);
  }
  uint64_t fetch(uint64_t known_version, const plugin::Sink& out) {
    return self().fetch_latest(known_version, out).version;
  }

 private:
  Backend& self() { return static_cast<Backend&>(*this); }
};

}  // namespace berth::backend
