#include "engine/version_state.h"

#include <algorithm>

namespace berth {

uint64_t VersionState::known() const { return std::max(served_.load(), publishing_.load()); }

void VersionState::raise_latest_seen(uint64_t version) {
  uint64_t seen = latest_seen_.load();
  while (version > seen && !latest_seen_.compare_exchange_weak(seen, version)) {
  }
}

void VersionState::saw(uint64_t version) { raise_latest_seen(version); }

void VersionState::begin_publishing(uint64_t version) { publishing_.store(version); }

void VersionState::end_publishing() { publishing_.store(0); }

void VersionState::served_now(uint64_t version) {
  raise_latest_seen(version);
  uint64_t mine = publishing_.load();
  if (mine != 0 && mine <= version) publishing_.compare_exchange_strong(mine, 0);
  {
    std::lock_guard lock(mutex_);
    served_.store(version);
    generation_.fetch_add(1);
  }
  changed_.notify_all();
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
