// A node's backend instance with the lock that serialises calls on it: what the parts of an
// engine that talk to the backend (intake ledger, follower) are handed, rather than own.
#pragma once

#include <mutex>

#include "plugin/instances.h"

namespace berth {

struct BackendRef {
  Backend& backend;
  std::mutex& mutex;  // held around every call on `backend`

  template <class F>
  auto call(F&& f) const {
    std::lock_guard lock(mutex);
    return f(backend);
  }
};

}  // namespace berth
