// A grant-only refresh: the next version when all the leader heard since its last one is
// holders' releases. The base's servers, streams, loads and owners are kept as they are (no
// rebalance, no rules, no membership read); only holders and tokens change, by the same grant
// step a full refresh runs (ownership/grant_step.h), so a released stream goes to its owner in
// the base at once. Cheap, and published as a small delta: the hand-off path of a planned move.
//
// What it leaves to the next full refresh: members gone or re-registered since the base (a
// holder is kept, a grant to a server that re-registered since is not taken up by its node).
#pragma once

#include <memory>
#include <vector>

#include "engine/refresh.h"
#include "ownership/grant_step.h"
#include "snapshot/snapshot.h"

namespace berth {

// `meta` carries version (above the base's: it is every grant's token), epoch, leader and time;
// the policy's name, behaviour version and the rules' hash are the base's. `policy` (may be null:
// then new streams cannot be placed) gives the placer, as for a full refresh. Throws
// Error(BERTH_E_INTERNAL) for a version not above the base's, Error(BERTH_E_CORRUPT) when the
// result does not check (finish_snapshot). `lapse`: as for compute_refresh_step.
RefreshResult compute_grant_refresh(const Snapshot& base, const std::vector<ownership::Release>& releases,
                                    const Policy* policy, Provenance meta, std::shared_ptr<ServerNames> names,
                                    bool soft_handoff = false, ownership::LapseClock lapse = {});

}  // namespace berth
