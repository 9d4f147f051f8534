#include "snapshot/lookup_table.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace berth {

LookupTable::LookupTable(uint64_t count, const uint64_t* hash, const uint32_t* owner, const char* arena,
                         const uint64_t* offsets) {
  if (count == 0) return;
  if (offsets[count] > UINT32_MAX)
    throw Error(BERTH_E_INVALID_ARGUMENT, "stream ids take more than 4 GiB; the lookup table cannot index them");
  // About 70% full: short probe sequences (mostly within the first cache line) for a third less
  // memory than half full.
  lines_ = (count * 10 / 7 + 1) / 2 + 1;
  slots_ = HugeArray<Slot>(lines_ * 2);  // zero-filled: every slot free
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len = offsets[i + 1] - offsets[i];
    std::string_view id(arena + offsets[i], len);
    uint64_t tag = make_tag(hash[i], len);
    uint64_t pos = first_probe(hash[i]);
    for (; slots_[pos].tag != 0; pos = next(pos)) {
      const Slot& slot = slots_[pos];
      if (slot.tag != tag) continue;
      bool same = len < kLongId ? same_id(slot, id, arena) : long_length(slot.offset) == len &&
                                                                 std::memcmp(arena + slot.offset, id.data(), len) == 0;
      if (same) throw Error(BERTH_E_CORRUPT, "stream '" + std::string(id.substr(0, 200)) + "' appears twice in one snapshot");
    }
    Slot& slot = slots_[pos];
    slot = Slot{tag, static_cast<uint32_t>(offsets[i]), owner[i], {}};
    std::memcpy(slot.head, id.data(), std::min<uint64_t>(len, kInline));
    if (len >= kLongId) {
      // Kept sorted as they come (offsets grow), so lookups and the duplicate check can search it.
      long_lengths_.emplace_back(static_cast<uint32_t>(offsets[i]), len);
    }
  }
}

LookupTable LookupTable::clone() const {
  LookupTable copy;
  copy.slots_ = HugeArray<Slot>(slots_.size());
  if (!slots_.empty()) std::memcpy(static_cast<void*>(&copy.slots_[0]), &slots_[0], slots_.size() * sizeof(Slot));
  copy.long_lengths_ = long_lengths_;
  copy.lines_ = lines_;
  return copy;
}

uint64_t LookupTable::long_length(uint32_t offset) const noexcept {
  auto it = std::lower_bound(long_lengths_.begin(), long_lengths_.end(), std::make_pair(offset, uint64_t{0}));
  return it != long_lengths_.end() && it->first == offset ? it->second : 0;
}

const LookupTable::Slot* LookupTable::find_slow(uint64_t h, std::string_view id, const char* arena) const noexcept {
  if (slots_.empty() || id.size() >= kLongId) return find_long(h, id, arena);
  const uint64_t tag = make_tag(h, id.size());
  for (uint64_t pos = first_probe(h);; pos = next(pos)) {
    const Slot& slot = slots_[pos];
    if (slot.tag == tag && same_id(slot, id, arena)) return &slot;
    if (slot.tag == 0) return nullptr;
  }
}

const LookupTable::Slot* LookupTable::find_long(uint64_t h, std::string_view id, const char* arena) const noexcept {
  if (slots_.empty()) return nullptr;
  uint64_t tag = make_tag(h, id.size());
  for (uint64_t pos = first_probe(h);; pos = next(pos)) {
    const Slot& slot = slots_[pos];
    if (slot.tag == 0) return nullptr;
    if (slot.tag != tag) continue;
    if (long_length(slot.offset) == id.size() && std::memcmp(arena + slot.offset, id.data(), id.size()) == 0)
      return &slot;
  }
}

}  // namespace berth
