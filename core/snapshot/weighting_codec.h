// The snapshot's `weighting` (abi/schema/snapshot.capnp, Weighting) to and from Cap'n Proto; the
// snapshot codec calls these for its field.
#pragma once

#include <memory>

#include "berth/snapshot.capnp.h"
#include "snapshot/columns.h"
#include "snapshot/weighting.h"

namespace berth {

void encode_weighting(schema::Snapshot::Builder root, const Weighting& weighting);

// Null when the bytes have none. Never trusts them: one entry per server of `servers`, in their
// order; capacities and factors > 0 and finite; signals bounded, named, ascending and finite.
// Throws Error(BERTH_E_CORRUPT) saying what is wrong and where.
std::shared_ptr<const Weighting> decode_weighting(schema::Snapshot::Reader root, const ServerColumns& servers);

}  // namespace berth
