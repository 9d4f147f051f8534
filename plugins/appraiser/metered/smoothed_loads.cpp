#include "smoothed_loads.h"

#include <bit>
#include <utility>

namespace berth::metered {

size_t SmoothedLoads::index_of(uint64_t hash) const {
  // The host's hash is XXH3 already; the multiply only guards against a host that hashes badly.
  return static_cast<size_t>((hash * 0x9E3779B97F4A7C15ull) >> 17) & (slots_.size() - 1);
}

double* SmoothedLoads::find(uint64_t hash, std::string_view id) {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t at = index_of(hash);; at = (at + 1) & mask) {
    Slot& slot = slots_[at];
    if (slot.generation == 0) return nullptr;
    if (slot.hash == hash && slot.id == id) {
      if (slot.generation != generation_) {
        slot.generation = generation_;
        ++live_;
      }
      return &slot.value;
    }
  }
}

void SmoothedLoads::insert(uint64_t hash, std::string_view id, double value) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  size_t at = index_of(hash);
  while (slots_[at].generation != 0) at = (at + 1) & mask;
  Slot& slot = slots_[at];
  slot.hash = hash;
  slot.value = value;
  slot.generation = generation_;
  slot.id.assign(id);
  ++size_;
  ++live_;
}

void SmoothedLoads::begin_pass() {
  if (generation_ == UINT32_MAX) {  // wrap: restamp everything as generation 1
    for (Slot& slot : slots_)
      if (slot.generation != 0) slot.generation = 1;
    generation_ = 1;
  }
  ++generation_;
  live_ = 0;
}

void SmoothedLoads::end_pass() {
  if (live_ == size_) return;  // nothing to drop
  // Shrink when the live entries would fill less than 1/8 of the table.
  size_t capacity = slots_.size();
  while (capacity > 16 && 8 * live_ < capacity) capacity /= 2;
  rebuild(live_ == 0 ? 0 : capacity, /*only_live=*/true);
}

void SmoothedLoads::grow() { rebuild(slots_.empty() ? 16 : 2 * slots_.size(), /*only_live=*/false); }

void SmoothedLoads::rebuild(size_t capacity, bool only_live) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  const size_t mask = capacity - 1;
  size_ = 0;
  for (Slot& slot : old) {
    if (slot.generation == 0 || (only_live && slot.generation != generation_)) continue;
    size_t at = index_of(slot.hash);
    while (slots_[at].generation != 0) at = (at + 1) & mask;
    slots_[at] = std::move(slot);
    ++size_;
  }
  if (only_live) live_ = size_;
}

}  // namespace berth::metered
