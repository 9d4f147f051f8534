// The leader's side of ownership (docs/ownership.md): one step of the holder state machine per
// published version, as a pure function. Given the version built on (`base`) and the next one
// (owners decided, servers decided), fills the next version's holder and token columns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ownership/lapsing_holds.h"
#include "snapshot/snapshot.h"

namespace berth::ownership {

// A holder's acknowledgement that it stopped serving `stream` under `token` (an intake record).
struct Release {
  std::string stream;
  std::string server;
  uint64_t token = 0;
};

struct StepCounts {
  uint64_t granted = 0;             // grants made by this step (new streams included)
  uint64_t handoffs_started = 0;    // holders newly asked to release (owner changed away from them)
  uint64_t handoffs_completed = 0;  // streams granted after their previous holder released them
  uint64_t releases_ignored = 0;    // releases that named no current holder/token (late, duplicate)
  uint64_t holders_lost = 0;        // claims ended because the holder's member went or re-registered
  uint64_t releasing = 0;           // streams whose holder is asked to release (owner != holder), after this step
  uint64_t unheld = 0;              // streams nobody holds after this step, of servers that serve (or of none)
  uint64_t withheld = 0;            // streams left unheld because this step grants nothing
  uint64_t removed_held = 0;        // streams removed while held whose holder keeps them, after this step
  uint64_t lapsing = 0;             // lapsing holds after this step (streams of vanished holders, granted to nobody)
  uint64_t lapse_ends_ns = 0;       // the earliest end of one of them, on the step's clock; 0: none
};

// `next.meta.version` is the token of every grant made. `base` may be null (nobody holds anything).
// A holder in `base` is kept only when `next` has a server of the same id and incarnation. With
// `soft`, a stream whose owner changed is granted to the new owner at once (the previous holder is
// asked to release, but no longer holds it in the snapshot), a hand-off started and completed in
// one step: breaks the guarantee; off by default.
// Without `grant` (a base that may not be the latest version, docs/ownership.md) nothing is
// granted: holders are kept or dropped as above, and a stream nobody holds stays so.
// A held stream removed (absent from `next` and among its tombstones) stays with its holder in
// `next.removed_holds` while its holder keeps its registration and has not released it; added
// again, it is granted to that holder (who is then asked to release it if it is not the owner).
// A holder that vanished (its server gone from `next`, or there under another incarnation) with
// `lapse.wait_ns` above 0 leaves its streams lapsing (lapsing_holds.h): granted to nobody until
// the wait ends, its release arrives, or it is back under the same incarnation (granted to it
// again, with a new token).
// Versions strictly increase, so tokens do; the step does not check it. O(streams) when `next`
// keeps the base's streams in their order (some removed, some added at the end), as a refresh does.
StepCounts assign_holders(const Snapshot* base, Snapshot& next, const std::vector<Release>& releases, bool soft = false,
                          bool grant = true, LapseClock lapse = {});

}  // namespace berth::ownership
