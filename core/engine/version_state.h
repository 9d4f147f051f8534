// The version numbers an engine keeps about its snapshot, with their invariants, and the waits
// on them (wait_version, the C API's event queues).
//
//   served       the version of the snapshot in the engine's cell; 0 before the first. Raised by
//                served_now() right after the cell swap, under the engine's install lock, so it
//                only grows and never names a snapshot readers cannot get yet.
//   latest_seen  the newest version this node knows exists: announced by the backend (even when
//                its bytes were rejected) or served. A refresh numbers its version above it, so a
//                version number is never reused. Invariant: served <= latest_seen.
//   publishing   the version this node is publishing, which it installs from memory rather than
//                fetching back; 0 when none. Invariant: publishing == 0 || publishing > served
//                (begin_publishing() refuses a version not above served; served_now() clears it
//                once served reaches it; end_publishing() clears it).
//   generation   bumped whenever something an event queue reports may have changed: the served
//                version, leadership, degraded mode, or a wake-up when the engine closes.
//
// Threads: any. Each number is atomic, so readers need no lock; served, publishing and generation
// change under the mutex the waits sleep on, so the invariants hold between any two calls and a
// waiter between its check and its sleep is still woken. A reader without the lock that reads
// served() first sees the other two keep the invariants with it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace berth {

class VersionState {
 public:
  uint64_t served() const { return served_.load(); }
  uint64_t latest_seen() const { return latest_seen_.load(); }
  uint64_t publishing() const { return publishing_.load(); }
  // Nothing at or below this is worth fetching: this node serves it or is publishing it.
  uint64_t known() const;

  void saw(uint64_t version);  // the backend announced `version`
  // Marks `version` as this node's publication; false (and nothing changes) when `version` is
  // not above served(): a newer version was served meanwhile, so building on the old one is moot.
  [[nodiscard]] bool begin_publishing(uint64_t version);
  // The publication of `version` is over (installed, or failed): from now on it is fetched like
  // anyone's. Leaves another version's publication alone.
  void end_publishing(uint64_t version);
  // The cell holds `version`: raises served and wakes the waiters; false (and nothing changes)
  // when `version` is not above served(), which never goes down.
  bool served_now(uint64_t version);

  // Until served() >= version; false when `timeout` passed first.
  bool wait_served(uint64_t version, std::chrono::milliseconds timeout);

  uint64_t generation() const { return generation_.load(); }
  // Until generation() differs from `seen`, `cancel` is set (then notify_change()), or `deadline`.
  uint64_t wait_change(uint64_t seen, std::chrono::steady_clock::time_point deadline, const std::atomic<bool>& cancel);
  void notify_change();

 private:
  void raise_latest_seen(uint64_t version);

  std::atomic<uint64_t> served_{0};
  std::atomic<uint64_t> latest_seen_{0};
  std::atomic<uint64_t> publishing_{0};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<uint64_t> generation_{0};  // written under mutex_
};

}  // namespace berth
