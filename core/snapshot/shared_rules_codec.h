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

// For a delta's head: the shared rules of `next`, marked in_base (script left out) when `base`
// carries the same version and hash.
std::shared_ptr<const SharedRules> shared_rules_for_head(const Snapshot& base, const Snapshot& next);

// For apply_delta: replaces rules marked in_base in `s` (built from a head) by the base's, which
// must have the same version and hash, else Error(BERTH_E_CORRUPT).
void shared_rules_from_base(Snapshot& s, const Snapshot& base);

}  // namespace berth
