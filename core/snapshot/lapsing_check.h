// What a reader requires of a version's lapsing holds (docs/ownership.md, "Lapsing holds"),
// whether the version came whole (decode_snapshot) or as a delta on a checkpoint (apply_delta).
#pragma once

#include "snapshot/snapshot.h"

namespace berth {

// Each lapse names a stream once, under a token, and a stream held by nobody: neither a holder in
// the columns nor a removed stream still held. Throws Error(BERTH_E_CORRUPT) naming the stream.
void check_lapsing_holds(const Snapshot& s);

}  // namespace berth
