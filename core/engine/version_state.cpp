#include "engine/version_state.h"

#include <algorithm>

namespace berth {

uint64_t VersionState::known() const {
  // Both under the lock: served_now() raises one and clears the other in one step.
  std::lock_guard lock(mutex_);
  return std::max(served_.load(), publishing_.load());
}

void VersionState::raise_latest_seen(uint64_t version) {
  uint64_t seen = latest_seen_.load();
  while (version > seen && !latest_seen_.compare_exchange_weak(seen, version)) {
  }
}

void VersionState::saw(uint64_t version) { raise_latest_seen(version); }

bool VersionState::begin_publishing(uint64_t version) {
  std::lock_guard lock(mutex_);
  if (version <= served_.load()) return false;
  publishing_.store(version);
  return true;
}

void VersionState::end_publishing(uint64_t version) {
  std::lock_guard lock(mutex_);
  if (publishing_.load() == version) publishing_.store(0);
}

bool VersionState::served_now(uint64_t version) {
  {
    std::lock_guard lock(mutex_);
    if (version <= served_.load()) return false;
    // Readers take no lock: latest_seen goes up and a publication it reaches ends before served
    // moves, so whoever sees the new served sees both invariants kept.
    raise_latest_seen(version);
    if (publishing_.load() <= version) publishing_.store(0);
    served_.store(version);
    generation_.fetch_add(1);
  }
  changed_.notify_all();
  return true;
}

bool VersionState::wait_served(uint64_t version, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return served_.load() >= version; });
}

uint64_t VersionState::wait_change(uint64_t seen, std::chrono::steady_clock::time_point deadline,
                                   const std::atomic<bool>& cancel) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return generation_.load() != seen || cancel.load(); });
  return generation_.load();
}

void VersionState::notify_change() {
  {
    std::lock_guard lock(mutex_);
    generation_.fetch_add(1);
  }
  changed_.notify_all();
}

}  // namespace berth
