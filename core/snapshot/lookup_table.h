// Stream id -> owner for the lookup hot path: an open-addressing table of 32-byte slots probed
// linearly, built once per snapshot and read-only after that.
//
// A slot (32 bytes, two to a cache line) holds a tag (48 bits of the stream hash and the id's
// length), the owner, the id's offset in the snapshot's id arena, and the id's first 16 bytes.
// A hit on an id of up to 16 bytes reads one cache line (find also starts loading the next, where
// about a fifth of the ids sit); a longer id also compares its tail in the arena. Nothing is
// allocated or locked.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "snapshot/huge_array.h"

namespace berth {

class LookupTable {
 public:
  static constexpr size_t kInline = 16;
  struct alignas(32) Slot {
    uint64_t tag;     // 0 marks a free slot (a real tag always has a length or hash bit set)
    uint32_t offset;  // of the id in the arena
    uint32_t owner;
    char head[kInline];  // the id's first bytes, zero-padded
  };

  LookupTable() = default;
  // Indexes streams 0..count-1 (ids in `arena` at `offsets`, with their hashes and owners).
  // Throws Error(BERTH_E_CORRUPT) naming a stream id that appears twice, and
  // Error(BERTH_E_INVALID_ARGUMENT) past 4 GiB of ids.
  LookupTable(uint64_t count, const uint64_t* hash, const uint32_t* owner, const char* arena,
              const uint64_t* offsets);

  // The slot of stream `id` (with hash `h`) in the table built over `arena`, or nullptr.
  const Slot* find(uint64_t h, std::string_view id, const char* arena) const noexcept {
    // The common case inline and branch-light: an id of 8 to 16 bytes found in its home line.
    // Both slots of the line are judged at once, without a branch on which one holds the id:
    // that branch would be a coin toss, and while a mispredicted one waits for this miss the core
    // cannot start the next lookup's. The branch left is taken by about 80% of hits; most of the
    // rest sit in the next line, whose load starts here. Everything else is find_slow's.
    const size_t n = id.size();
    if (__builtin_expect(n >= 8 && n <= kInline && !slots_.empty(), 1)) {
      const uint64_t tag = make_tag(h, n);
      const Slot* line = &slots_[first_probe(h)];
      __builtin_prefetch(line + 2);
      const uint64_t a = load<uint64_t>(id.data()), b = load<uint64_t>(id.data() + n - 8);
      const uint64_t first = holds(line[0], tag, n, a, b), second = holds(line[1], tag, n, a, b);
      if (__builtin_expect((first | second) != 0, 1)) return line + (first ^ 1);
    }
    return find_slow(h, id, arena);
  }

  size_t memory_bytes() const noexcept { return slots_.size() * sizeof(Slot) + long_lengths_.capacity() * 16; }

  static constexpr uint64_t kLongId = 0xFFFF;  // ids this long keep their length outside the tag
  static uint64_t make_tag(uint64_t h, uint64_t len) noexcept {
    return (h & ~uint64_t{0xFFFF}) | (len < kLongId ? len : kLongId) | (len == 0 ? 1u << 16 : 0);
  }
  // A copy (tables are large: copies are explicit).
  LookupTable clone() const;
  // Points the known stream `id` at `owner`; false when the table does not hold it.
  bool set_owner(uint64_t h, std::string_view id, const char* arena, uint32_t owner) noexcept {
    const Slot* slot = find(h, id, arena);
    if (slot == nullptr) return false;
    slots_[static_cast<size_t>(slot - &slots_[0])].owner = owner;
    return true;
  }

  // Renumbers every owner through `map` (old server index -> new), for a table carried over to a
  // snapshot whose server list changed. Owners past the map's end are left alone.
  void remap_owners(const std::vector<uint32_t>& map) noexcept {
    for (size_t pos = 0; pos < slots_.size(); ++pos)
      if (slots_[pos].tag != 0 && slots_[pos].owner < map.size()) slots_[pos].owner = map[slots_[pos].owner];
  }

  // Starts loading the home line find(h, ...) reads first; a batch calls it some lookups ahead.
  // Not the next line: loading it some lookups ahead only for the ids not in their home line (a
  // fifth) left the batch rate where it was (25.4 vs 26.2 M/s at 1M streams, within the noise).
  // Always inlined: GCC (12, -O2) finds a function whose only effect is a prefetch pure, since it
  // does not count the prefetch as an effect, and drops every call to it; inlined first, the
  // prefetch stays in the caller.
  [[gnu::always_inline]] void prefetch(uint64_t h) const noexcept {
    if (slots_.empty()) return;
    __builtin_prefetch(&slots_[first_probe(h)]);
  }

 private:
  // Probing starts at the first slot of a cache line, so the first two probes cost one miss.
  // The table has any even size (not a power of two, to stay about 70% full): the line is
  // picked by multiply-shift range reduction of the hash, rotated so the line depends mostly on
  // the bits the tag does not hold.
  uint64_t first_probe(uint64_t h) const noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<uint64_t>((static_cast<u128>(std::rotl(h, 32)) * lines_) >> 64) * 2;
  }
  uint64_t next(uint64_t pos) const noexcept { return pos + 1 == slots_.size() ? 0 : pos + 1; }
  const Slot* find_long(uint64_t h, std::string_view id, const char* arena) const noexcept;
  // The whole probe sequence: ids past their home line, of other lengths, absent ones.
  const Slot* find_slow(uint64_t h, std::string_view id, const char* arena) const noexcept;
  uint64_t long_length(uint32_t offset) const noexcept;  // of a long id at `offset`, else 0
  // Called once the tag matched, so the length is equal: an id of up to 16 bytes is compared
  // with the head by two overlapping fixed-size loads, never a call or a byte loop.
  static bool same_id(const Slot& slot, std::string_view id, const char* arena) noexcept {
    const size_t n = id.size();
    if (n >= 8) {
      if (n <= kInline) return load<uint64_t>(slot.head) == load<uint64_t>(id.data()) &&
                               load<uint64_t>(slot.head + n - 8) == load<uint64_t>(id.data() + n - 8);
    } else if (n >= 4) {
      return load<uint32_t>(slot.head) == load<uint32_t>(id.data()) &&
             load<uint32_t>(slot.head + n - 4) == load<uint32_t>(id.data() + n - 4);
    } else {
      return n == 0 || (slot.head[0] == id[0] && slot.head[n / 2] == id[n / 2] && slot.head[n - 1] == id[n - 1]);
    }
    return std::memcmp(slot.head, id.data(), kInline) == 0 &&
           std::memcmp(arena + slot.offset + kInline, id.data() + kInline, id.size() - kInline) == 0;
  }

  // 1 when `slot` holds the id of `n` bytes (8 to 16) with tag `tag` whose first and last 8 bytes
  // are `a` and `b`, else 0: computed whole, never branched on.
  static uint64_t holds(const Slot& slot, uint64_t tag, size_t n, uint64_t a, uint64_t b) noexcept {
    return opaque((slot.tag == tag) & (load<uint64_t>(slot.head) == a) & (load<uint64_t>(slot.head + n - 8) == b));
  }

  // `v` as a value the compiler must compute, not a condition it may turn back into branches.
  static uint64_t opaque(uint64_t v) noexcept {
    asm("" : "+r"(v));
    return v;
  }

  template <class T>
  static T load(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  HugeArray<Slot> slots_;
  std::vector<std::pair<uint32_t, uint64_t>> long_lengths_;  // offset -> length, for very long ids
  uint64_t lines_ = 0;  // slots_.size() / 2
};

}  // namespace berth
