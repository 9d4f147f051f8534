// `berth bench`'s delta figures: what publishing a refresh that moved 1% of the streams as a
// delta costs against the full snapshot, on the bench's own snapshot.
#pragma once

#include <cstdint>

#include "snapshot/snapshot.h"

namespace berth::cli {

struct DeltaFigures {
  uint64_t full_bytes = 0;        // the full snapshot after the move
  uint64_t delta_bytes = 0;       // the delta against the snapshot before it
  double bytes_fraction = 0;      // delta / full
  double encode_ms = 0;           // encode_delta
  double apply_ms = 0;            // decode_delta + apply_delta + finish_snapshot (table patched)
};

// `base` with 1% of its streams (a fixed random choice) moved to other servers, as version + 1,
// finished (lookup table patched from `base`'s).
Snapshot moved_1pct(const Snapshot& base);

// Moves 1% of `base`'s streams (moved_1pct) and measures, median of `repetitions` runs.
DeltaFigures measure_delta_1pct(const Snapshot& base, uint32_t repetitions);

}  // namespace berth::cli
