// What `berth bench` judges its lookup figures against: the machine's own memory system, measured
// in the same run over an array the size of the lookup table, and the cost of swapping snapshots
// under readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "snapshot/snapshot.h"

namespace berth::cli {

struct MemoryLimit {
  size_t bytes = 0;              // of the array read (the lookup table's size)
  double independent_per_s = 0;  // random 8-byte reads whose addresses do not depend on each other
  double dependent_per_s = 0;    // random reads each of whose address is the previous read's value
};

// Medians of `repetitions` runs of `seconds` each.
MemoryLimit measure_memory_limit(size_t bytes, uint32_t repetitions, double seconds);

struct SwapFigures {
  double quiet_per_s = 0;     // one reader's lookups, nothing swapped
  double swapping_per_s = 0;  // the same while a writer installs another version every 10 ms
  uint64_t swaps = 0;         // installs during the swapping runs
};

// Lookups of `keys` in `snapshot` through a SnapshotCell, with and without a writer alternating
// it with a second version (sharing its table) every 10 ms; quiet and swapping runs interleave.
SwapFigures measure_swap(const std::shared_ptr<const Snapshot>& snapshot, const std::vector<std::string_view>& keys,
                         uint32_t repetitions, double seconds);

}  // namespace berth::cli
