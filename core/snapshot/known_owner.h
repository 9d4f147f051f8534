// The answer for a stream the snapshot knows: the one lookup step the engine's single and batch
// paths (and the bench reading a SnapshotCell directly) share.
#pragma once

#include <cstdint>
#include <string_view>

#include "snapshot/lookup_table.h"
#include "snapshot/snapshot.h"

namespace berth {

// The owner's interned id, or nullptr when `id` (with hash `h`) is not in `s`.
inline const char* known_owner(const Snapshot& s, uint64_t h, std::string_view id) noexcept {
  const LookupTable::Slot* slot = s.table->find(h, id, s.streams->ids.arena.data());
  return slot != nullptr ? s.server_name[slot->owner] : nullptr;
}

}  // namespace berth
