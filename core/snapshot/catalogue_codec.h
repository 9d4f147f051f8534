// The catalogue's entries in a snapshot's bytes (abi/schema/snapshot.capnp, struct Catalogue):
// written by codec.cpp's encode and read by its decode, which never trusts the bytes.
#pragma once

#include "berth/snapshot.capnp.h"
#include "snapshot/snapshot.h"

namespace berth {

// Writes s.catalogue into root (nothing when it is null or empty).
void encode_catalogue(schema::Snapshot::Builder root, const Snapshot& s);
// Sets s.catalogue from root (null when absent or empty). Throws Error(BERTH_E_CORRUPT) naming
// the list and entry that is wrong: past the bounds, an empty or overlong id, a stream twice.
void decode_catalogue(schema::Snapshot::Reader root, Snapshot& s);

}  // namespace berth
