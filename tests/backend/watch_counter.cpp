#include "backend/watch_counter.h"

#include <bit>

namespace berth::test {

WatchCounter::WatchCounter() {
  watch_.struct_size = BERTH_SIZE_THROUGH(berth_backend_watch, changed);
  watch_.context = this;
  watch_.changed = &WatchCounter::changed;
}

int WatchCounter::index_of(uint32_t bit) { return std::countr_zero(bit); }

int WatchCounter::count(uint32_t bit) const {
  std::lock_guard lock(mutex_);
  return counts_[static_cast<size_t>(index_of(bit))];
}

bool WatchCounter::wait_for(uint32_t bit, int at_least, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, timeout, [&] { return counts_[static_cast<size_t>(index_of(bit))] >= at_least; });
}

// Runs on whatever thread the backend notifies from: only records, as the ABI asks.
void WatchCounter::changed(void* context, uint32_t what) {
  auto* self = static_cast<WatchCounter*>(context);
  if (self->closed_.load()) self->calls_after_close_.fetch_add(1);
  {
    std::lock_guard lock(self->mutex_);
    for (int i = 0; i < kBits; ++i)
      if ((what & (1u << i)) != 0) ++self->counts_[static_cast<size_t>(i)];
  }
  self->wake_.notify_all();
}

}  // namespace berth::test
