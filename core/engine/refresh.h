// One refresh, as a function: (previous snapshot, members, pending stream changes, appraiser,
// policy) -> the next snapshot and what it moved. The engine wraps it with leadership and
// publication; the benchmarks call it directly.
#pragma once

#include <memory>

#include "engine/pending_changes.h"
#include "snapshot/snapshot.h"

namespace berth {

struct RefreshResult {
  std::shared_ptr<Snapshot> snapshot;  // finished
  uint64_t moved_streams = 0;          // streams whose owner changed (new streams do not count)
  double moved_load = 0;
  double moved_load_fraction = 0;      // of the new total load
  uint64_t new_streams = 0;
  uint64_t removed_streams = 0;
};

// `base` may be null (first refresh). `meta` carries version, epoch, leader, time; the policy's
// name and behaviour version are filled in here.
RefreshResult compute_refresh(const Snapshot* base, std::shared_ptr<const ServerColumns> servers,
                              const PendingChanges& pending, Appraiser& appraiser, const Policy& policy,
                              Provenance meta, std::shared_ptr<ServerNames> names);

}  // namespace berth
