#include "snapshot/snapshot_cell.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace berth {
namespace hazard {
namespace {

std::atomic<Slot*> g_slots{nullptr};  // every slot ever made; slots are reused, never freed

#if !defined(__SANITIZE_THREAD__)
bool membarrier_available() noexcept {
  static const bool available = [] {
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0);
    if (cmds < 0 || (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0;
  }();
  return available;
}
#endif

Slot* claim_slot() {
  for (Slot* s = g_slots.load(std::memory_order_acquire); s != nullptr; s = s->next) {
    bool expected = false;
    if (!s->in_use.load(std::memory_order_relaxed) &&
        s->in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel))
      return s;
  }
  auto* s = new Slot;
  s->in_use.store(true, std::memory_order_relaxed);
  Slot* head = g_slots.load(std::memory_order_relaxed);
  do {
    s->next = head;
  } while (!g_slots.compare_exchange_weak(head, s, std::memory_order_acq_rel));
  return s;
}

struct ThreadSlot {
  Slot* slot = claim_slot();
  ~ThreadSlot() {
    t_slot = nullptr;
    for (auto& hazard : slot->protected_ptr) hazard.store(nullptr, std::memory_order_release);
    slot->depth = 0;
    slot->in_use.store(false, std::memory_order_release);
  }
};

}  // namespace

Slot& claim_for_this_thread() {
  static thread_local ThreadSlot mine;  // its destructor returns the slot at thread exit
  t_slot = mine.slot;
  return *mine.slot;
}

#if defined(__SANITIZE_THREAD__)
void reader_fence_slow() noexcept {}
void writer_fence() noexcept {}
#else
void reader_fence_slow() noexcept {
  if (membarrier_available()) {
    g_light_fences.store(1, std::memory_order_relaxed);  // from now on, inline and compiler-only
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
}

void writer_fence() noexcept {
  if (membarrier_available())
    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0);
  else
    std::atomic_thread_fence(std::memory_order_seq_cst);
}
#endif

bool is_protected(const void* ptr) noexcept {
  for (Slot* s = g_slots.load(std::memory_order_acquire); s != nullptr; s = s->next)
    for (const auto& hazard : s->protected_ptr)
      if (hazard.load(kCheck) == ptr) return true;
  return false;
}

void too_deep() noexcept {
  std::fprintf(stderr, "berth: more than %d snapshot readers nested on one thread\n", Slot::kDepth);
  std::abort();
}

}  // namespace hazard

SnapshotCell::~SnapshotCell() {
  // Callers guarantee no reader is left (an engine is closed only when nobody calls it).
  current_.store(nullptr, std::memory_order_release);
}

void SnapshotCell::store(std::shared_ptr<const Snapshot> next) {
  std::lock_guard lock(mutex_);
  current_.store(next.get(), hazard::kPublish == std::memory_order_seq_cst ? std::memory_order_seq_cst
                                                                            : std::memory_order_release);
  if (owner_) retired_.push_back(std::move(owner_));
  owner_ = std::move(next);
  reclaim();
}

std::shared_ptr<const Snapshot> SnapshotCell::shared() const {
  std::lock_guard lock(mutex_);
  return owner_;
}

void SnapshotCell::collect() {
  std::lock_guard lock(mutex_);
  reclaim();
}

void SnapshotCell::reclaim() {
  if (retired_.empty()) return;
  hazard::writer_fence();  // every reader's slot store is now visible to us
  std::erase_if(retired_, [](const std::shared_ptr<const Snapshot>& s) { return !hazard::is_protected(s.get()); });
}

}  // namespace berth
