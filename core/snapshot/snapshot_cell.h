// The current snapshot of an engine: swapped by one writer, read by any number of threads
// without a lock, a reference count or an allocation.
//
// Readers protect the pointer they read with a per-thread hazard slot; the writer frees a
// replaced snapshot only once no slot holds it. The reader's cost is two plain stores and a
// re-load: the expensive half of the fence lives on the (rare) writer side, through Linux's
// membarrier(2) where the kernel offers it, else a full fence on both sides.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "snapshot/snapshot.h"

namespace berth {

namespace hazard {

// ThreadSanitizer models neither fences nor membarrier(2): under it, the reader's publication and
// the writer's scan use sequentially consistent accesses instead, which TSan does understand.
#if defined(__SANITIZE_THREAD__)
inline constexpr std::memory_order kPublish = std::memory_order_seq_cst;
inline constexpr std::memory_order kCheck = std::memory_order_seq_cst;
#else
inline constexpr std::memory_order kPublish = std::memory_order_relaxed;  // ordered by the fences
inline constexpr std::memory_order kCheck = std::memory_order_acquire;
#endif

// One per thread: a few hazard pointers, so Readers may nest (a lookup on one engine from
// inside work done under a Reader of another).
struct Slot {
  static constexpr int kDepth = 4;
  std::atomic<const void*> protected_ptr[kDepth] = {};
  int depth = 0;  // touched only by the owning thread
  std::atomic<bool> in_use{false};
  Slot* next = nullptr;
};

Slot& claim_for_this_thread();  // slow path: claims a slot, returned to the pool at thread exit
void reader_fence_slow() noexcept;

// Inline: a lookup pays neither a call nor a guard for these.
// Constant-initialised: no TLS guard. Not initial-exec: that would put libberth.so's whole TLS
// block (~3 KB) in glibc's small static reserve, and a JVM or Python dlopen of it then fails with
// "cannot allocate memory in static TLS block".
inline thread_local Slot* t_slot = nullptr;
inline Slot& this_thread_slot() {
  Slot* s = t_slot;
  return __builtin_expect(s != nullptr, 1) ? *s : claim_for_this_thread();
}

// 1 once membarrier(2) is known to work (then a compiler barrier suffices on the reader side).
inline std::atomic<int> g_light_fences{0};
inline void reader_fence() noexcept {
#if defined(__SANITIZE_THREAD__)
  // the seq_cst accesses of kPublish/kCheck do the ordering
#else
  if (__builtin_expect(g_light_fences.load(std::memory_order_relaxed) == 1, 1))
    std::atomic_signal_fence(std::memory_order_seq_cst);
  else
    reader_fence_slow();
#endif
}
void writer_fence() noexcept;   // membarrier, or a full fence
bool is_protected(const void* ptr) noexcept;
[[noreturn]] void too_deep() noexcept;  // Readers nested past Slot::kDepth: a bug, so abort

}  // namespace hazard

class SnapshotCell {
 public:
  SnapshotCell() = default;
  ~SnapshotCell();
  SnapshotCell(const SnapshotCell&) = delete;
  SnapshotCell& operator=(const SnapshotCell&) = delete;

  // A protected read: valid until the Reader is destroyed. One per thread at a time.
  class Reader {
   public:
    explicit Reader(const SnapshotCell& cell) noexcept : slot_(hazard::this_thread_slot()) {
      if (slot_.depth == hazard::Slot::kDepth) hazard::too_deep();
      hazard_ = &slot_.protected_ptr[slot_.depth++];
      const Snapshot* p = cell.current_.load(std::memory_order_acquire);
      for (;;) {
        hazard_->store(p, hazard::kPublish);
        hazard::reader_fence();
        const Snapshot* again = cell.current_.load(hazard::kCheck);
        if (again == p) break;
        p = again;
      }
      snapshot_ = p;
    }
    ~Reader() {
      hazard_->store(nullptr, std::memory_order_release);
      --slot_.depth;
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    const Snapshot* get() const noexcept { return snapshot_; }

   private:
    hazard::Slot& slot_;
    std::atomic<const void*>* hazard_;
    const Snapshot* snapshot_ = nullptr;
  };

  // Installs `next` (writer side; callers serialise swaps). Replaced snapshots are released as
  // soon as no reader holds them.
  void store(std::shared_ptr<const Snapshot> next);
  // A counted reference, for callers that keep a snapshot beyond one read (the C API's handle).
  std::shared_ptr<const Snapshot> shared() const;
  // Releases replaced snapshots no reader holds any more (store() does this too).
  void collect();

 private:
  void reclaim();

  std::atomic<const Snapshot*> current_{nullptr};
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> owner_;                 // keeps current_ alive
  std::vector<std::shared_ptr<const Snapshot>> retired_;  // replaced, maybe still being read
};

}  // namespace berth
