// A real berth_backend_watch that counts what a backend reports, for the backend tests.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "berth/plugin.h"

namespace berth::test {

class WatchCounter {
 public:
  WatchCounter();
  WatchCounter(const WatchCounter&) = delete;
  WatchCounter& operator=(const WatchCounter&) = delete;

  const berth_backend_watch* watch() const { return &watch_; }

  // How many notifications carried `bit` (one BERTH_CHANGED_* bit).
  int count(uint32_t bit) const;
  // Waits until count(bit) >= at_least; false when `timeout` ran out first.
  bool wait_for(uint32_t bit, int at_least, std::chrono::milliseconds timeout) const;

  // Call once the backend using this watch has been destroyed: from then on, any notification is
  // a breach of the contract, counted by calls_after_close().
  void mark_closed() { closed_.store(true); }
  int calls_after_close() const { return calls_after_close_.load(); }

 private:
  static constexpr int kBits = 5;  // BERTH_CHANGED_MEMBERS .. BERTH_CHANGED_CONNECTION
  static int index_of(uint32_t bit);
  static void changed(void* context, uint32_t what);

  berth_backend_watch watch_{};
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
  std::array<int, kBits> counts_{};
  std::atomic<bool> closed_{false};
  std::atomic<int> calls_after_close_{0};
};

}  // namespace berth::test
