// The snapshot's sharedRules field to and from Cap'n Proto (abi/schema/snapshot.capnp), for
// codec.cpp's encode and decode.
#pragma once

#include "berth/snapshot.capnp.h"
#include "snapshot/snapshot.h"

namespace berth {

// Writes `s.shared_rules` when the version has any.
void encode_shared_rules(schema::Snapshot::Builder root, const Snapshot& s);

// Reads them into `s.shared_rules` (null when absent). Never trusts the bytes: a version of 0, a
// script over kMaxRulesScriptBytes or a hash that is not the script's throws Error(BERTH_E_CORRUPT).
void decode_shared_rules(Snapshot& s, schema::Snapshot::Reader root);

}  // namespace berth
