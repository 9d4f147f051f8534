// Delivers a backend's change notifications to the host's berth_backend_watch, and guarantees
// none arrives once close() has returned: a delivery and close() take the same mutex, so close()
// waits for a delivery in progress and every later delivery finds the relay closed.
//
// Callers must not hold their own locks while notifying (the host's callback may take its own);
// the relay's mutex is a leaf lock, since the callback never calls back into the backend.
#pragma once

#include <mutex>
#include <string>

#include "berth/plugin.hpp"

namespace berth::backend {

class WatchRelay {
 public:
  // `watch` may be NULL (the host wants no notifications).
  explicit WatchRelay(const berth_backend_watch* watch) {
    if (watch == nullptr) return;
    if (watch->struct_size < BERTH_SIZE_THROUGH(berth_backend_watch, changed))
      throw plugin::Error(BERTH_E_INVALID_ARGUMENT,
                          "backend watch struct is " + std::to_string(watch->struct_size) + " bytes, at least " +
                              std::to_string(BERTH_SIZE_THROUGH(berth_backend_watch, changed)) + " required");
    context_ = watch->context;
    changed_ = watch->changed;
  }
  WatchRelay(const WatchRelay&) = delete;
  WatchRelay& operator=(const WatchRelay&) = delete;

  // Tells the host that `what` (BERTH_CHANGED_* bits) changed, unless the relay is closed.
  void notify(uint32_t what) noexcept {
    if (what == 0) return;
    std::lock_guard lock(mutex_);
    if (changed_ == nullptr) return;
    try {
      changed_(context_, what);
    } catch (...) {
      // A host callback that throws is a host bug; it must not unwind through the backend.
    }
  }

  // After this returns the host's callback is never called again.
  void close() noexcept {
    std::lock_guard lock(mutex_);
    changed_ = nullptr;
  }

 private:
  std::mutex mutex_;
  void* context_ = nullptr;
  void (*changed_)(void* context, uint32_t what) = nullptr;
};

}  // namespace berth::backend
