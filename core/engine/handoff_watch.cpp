#include "engine/handoff_watch.h"

#include <algorithm>

#include "common/hash.h"

namespace berth {
namespace {

// The index of stream `id` in `s`, or UINT64_MAX: the table gives the id's offset in the arena,
// and the offsets ascend with the index.
uint64_t index_of(const Snapshot& s, std::string_view id) {
  if (!s.table || !s.streams) return UINT64_MAX;
  const auto* slot = s.table->find(stream_hash(id), id, s.streams->ids.arena.data());
  if (slot == nullptr) return UINT64_MAX;
  const auto& offsets = s.streams->ids.offsets;
  auto it = std::lower_bound(offsets.begin(), offsets.end() - 1, uint64_t{slot->offset});
  if (it == offsets.end() - 1 || *it != slot->offset) return UINT64_MAX;
  return static_cast<uint64_t>(it - offsets.begin());
}

}  // namespace

uint64_t HandoffWatch::observe(const Snapshot& s, Clock::time_point now, Clock::duration stall_after) {
  if (last_ != Clock::time_point{})
    figures_.unheld_stream_seconds +=
        static_cast<double>(figures_.unheld) * std::chrono::duration<double>(now - last_).count();
  last_ = now;
  ++pass_;
  figures_.releasing = figures_.unheld = figures_.stalled = 0;
  figures_.lapsing = s.lapsing_holds.size();
  uint64_t newly_stalled = 0;
  if (s.holder.size() == s.stream_count()) {
    for (uint64_t i = 0; i < s.stream_count(); ++i) {
      if (s.holder[i] == BERTH_NO_SERVER) {
        // A stream of a server nobody serves is routed, not held: it waits for no one.
        if (s.owner[i] >= s.server_count() || s.servers->serving_of(s.owner[i])) ++figures_.unheld;
        continue;
      }
      if (s.holder[i] == s.owner[i]) continue;
      ++figures_.releasing;
      std::string_view id = s.streams->ids.at(i);
      auto it = waiting_.find(id);
      if (it == waiting_.end()) {
        it = waiting_.emplace(std::string(id), Waiting{now}).first;
        ++figures_.started_total;
      }
      it->second.pass = pass_;
      if (now - it->second.since > stall_after) {
        ++figures_.stalled;
        if (!it->second.stalled) {
          it->second.stalled = true;
          ++figures_.stalled_total;
          ++newly_stalled;
        }
      }
    }
  }
  // Streams no longer waiting: granted to their new owner (a completed hand-off), or gone, or
  // their holder lost (neither is a hand-off that completed).
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second.pass == pass_) {
      ++it;
      continue;
    }
    uint64_t i = index_of(s, it->first);
    if (i != UINT64_MAX && s.holder.size() == s.stream_count() && s.holder[i] != BERTH_NO_SERVER &&
        s.holder[i] == s.owner[i]) {
      ++figures_.completed_total;
      double seconds = std::chrono::duration<double>(now - it->second.since).count();
      size_t bucket = std::lower_bound(kHandoffBuckets.begin(), kHandoffBuckets.end(), seconds) - kHandoffBuckets.begin();
      ++figures_.duration_counts[bucket];
      figures_.duration_sum_seconds += seconds;
    }
    it = waiting_.erase(it);
  }
  return newly_stalled;
}

void HandoffWatch::forget() {
  waiting_.clear();
  last_ = {};
  figures_.releasing = figures_.stalled = figures_.unheld = 0;
}

}  // namespace berth
