// The berth_engine handle, shared by the C API files that reach the engine (engine_api.cpp,
// events_api.cpp), and the gate its event queues pass through.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "engine/engine.h"

namespace berth::capi {

// Event queues may outlive their engine (a host closes them in any order, a Cleaner or the
// garbage collector later still): they share this gate with the handle. A poll counts itself in
// while it touches the engine; berth_engine_close shuts the gate, wakes the polls inside and
// waits for them to leave before the engine is destroyed.
class EventGate {
 public:
  // False once the engine is closing: the poll must not touch it.
  bool enter() {
    std::lock_guard lock(mutex_);
    if (closed_.load()) return false;
    ++inside_;
    return true;
  }
  void leave() {
    std::lock_guard lock(mutex_);
    --inside_;
    left_.notify_all();
  }
  void close(Engine& engine) {
    std::unique_lock lock(mutex_);
    closed_.store(true);
    // Engine::wait_change re-checks `closed` when woken; the loop only guards against a poll
    // that had just checked it when the first notification went out.
    while (inside_ != 0) {
      lock.unlock();
      engine.notify_change();
      lock.lock();
      left_.wait_for(lock, std::chrono::milliseconds(10), [&] { return inside_ == 0; });
    }
  }
  const std::atomic<bool>& closed() const { return closed_; }

 private:
  std::mutex mutex_;
  std::condition_variable left_;
  std::atomic<bool> closed_{false};
  int inside_ = 0;
};

}  // namespace berth::capi

struct berth_engine {
  std::unique_ptr<berth::Engine> engine;
  std::shared_ptr<berth::capi::EventGate> events = std::make_shared<berth::capi::EventGate>();
};
