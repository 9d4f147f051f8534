#include "snapshot/snapshot_memory.h"

#include <string>
#include <unordered_set>
#include <vector>

#include "common/heap_bytes.h"

namespace berth {
namespace {

template <class T>
uint64_t capacity_bytes(const std::vector<T>& v) noexcept {
  return v.capacity() * sizeof(T);
}

// The vectors a snapshot owns itself (never shared with another version).
uint64_t own_bytes(const Snapshot& s) noexcept {
  uint64_t bytes = capacity_bytes(s.load) + capacity_bytes(s.owner) + capacity_bytes(s.holder) + capacity_bytes(s.token) +
                   capacity_bytes(s.removed_holds) + capacity_bytes(s.lapsing_holds) + capacity_bytes(s.server_load) +
                   capacity_bytes(s.server_streams) + capacity_bytes(s.server_name);
  for (const RemovedHold& h : s.removed_holds) bytes += heap_bytes(h.stream);
  for (const LapsingHold& h : s.lapsing_holds) bytes += heap_bytes(h.stream) + heap_bytes(h.server);
  return bytes;
}

// Adds what `s` holds to `out`, skipping the shared parts `seen` already counted.
class Counter {
 public:
  explicit Counter(SnapshotMemory& out) : out_(out) {}

  void served(const Snapshot& s) {
    if (first(s.table.get())) out_.table += s.table->memory_bytes();
    if (first(s.streams.get())) {
      out_.ids += s.streams->ids.memory_bytes();
      out_.columns += s.streams->columns_memory_bytes();
    }
    out_.columns += shared_columns(s) + own_bytes(s);
  }

  void checkpoint(const Snapshot& s) {
    uint64_t bytes = own_bytes(s) + shared_columns(s);
    if (first(s.table.get())) bytes += s.table->memory_bytes();
    if (first(s.streams.get())) bytes += s.streams->ids.memory_bytes() + s.streams->columns_memory_bytes();
    out_.checkpoint += bytes;
  }

 private:
  bool first(const void* p) { return p != nullptr && seen_.insert(p).second; }
  uint64_t shared_columns(const Snapshot& s) {
    uint64_t bytes = 0;
    if (first(s.servers.get())) bytes += s.servers->memory_bytes();
    if (first(s.tombstones.get())) bytes += s.tombstones->memory_bytes();
    return bytes;
  }

  SnapshotMemory& out_;
  std::unordered_set<const void*> seen_;
};

}  // namespace

SnapshotMemory snapshot_memory(const Snapshot* served, const Snapshot* checkpoint) {
  SnapshotMemory out;
  Counter count(out);
  if (served != nullptr) count.served(*served);
  if (checkpoint != nullptr && checkpoint != served) count.checkpoint(*checkpoint);
  return out;
}

}  // namespace berth
