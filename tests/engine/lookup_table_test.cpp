#include <gtest/gtest.h>

#include "common/error.h"
#include "common/hash.h"
#include "snapshot/columns.h"
#include "snapshot/lookup_table.h"

namespace berth {
namespace {

TEST(LookupTable, FindsEveryKeyAndNothingElse) {
  StringColumn ids;
  std::vector<uint64_t> hash;
  std::vector<uint32_t> owner;
  for (uint32_t i = 0; i < 5000; ++i) {
    std::string id = "key-" + std::to_string(i);
    ids.push_back(id);
    hash.push_back(stream_hash(id));
    owner.push_back(i % 17);
  }
  LookupTable table(5000, hash.data(), owner.data(), ids.arena.data(), ids.offsets.data());
  for (uint32_t i = 0; i < 5000; ++i) {
    std::string id = "key-" + std::to_string(i);
    const auto* slot = table.find(stream_hash(id), id, ids.arena.data());
    ASSERT_NE(slot, nullptr) << id;
    EXPECT_EQ(slot->owner, i % 17);
  }
  for (uint32_t i = 5000; i < 10000; ++i) {
    std::string id = "key-" + std::to_string(i);
    EXPECT_EQ(table.find(stream_hash(id), id, ids.arena.data()), nullptr);
  }
  // Same hash, different key: a collision must not answer.
  EXPECT_EQ(table.find(hash[3], "not-key-3", ids.arena.data()), nullptr);
}

TEST(LookupTable, EmptyTableFindsNothing) {
  LookupTable table;
  EXPECT_EQ(table.find(1, "x", ""), nullptr);
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(LookupTable, VeryLongIdsAreFoundByTheirFullLength) {
  StringColumn ids;
  std::vector<uint64_t> hash;
  std::vector<uint32_t> owner;
  std::string long_a(70000, 'a'), long_b(70001, 'a');
  for (const std::string& id : {long_a, long_b, std::string("short")}) {
    ids.push_back(id);
    hash.push_back(stream_hash(id));
    owner.push_back(static_cast<uint32_t>(owner.size()));
  }
  LookupTable table(3, hash.data(), owner.data(), ids.arena.data(), ids.offsets.data());
  ASSERT_NE(table.find(stream_hash(long_a), long_a, ids.arena.data()), nullptr);
  EXPECT_EQ(table.find(stream_hash(long_a), long_a, ids.arena.data())->owner, 0u);
  EXPECT_EQ(table.find(stream_hash(long_b), long_b, ids.arena.data())->owner, 1u);
  std::string long_c(70002, 'a');
  EXPECT_EQ(table.find(stream_hash(long_c), long_c, ids.arena.data()), nullptr);
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(LookupTable, DuplicateIdsAreRejectedWhateverTheirLength) {
  for (size_t len : {size_t{5}, size_t{16}, size_t{17}, size_t{70000}}) {
    StringColumn ids;
    std::vector<uint64_t> hash;
    std::vector<uint32_t> owner;
    std::string id(len, 'd');
    for (int copy = 0; copy < 2; ++copy) {
      ids.push_back(id);
      hash.push_back(stream_hash(id));
      owner.push_back(0);
    }
    EXPECT_THROW(LookupTable(2, hash.data(), owner.data(), ids.arena.data(), ids.offsets.data()), Error) << len;
  }
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

// Every id below shares one hash, so each lookup walks a probe sequence past the others and only
// the id's bytes and length can tell them apart: NULs inside and at the end, non-ASCII bytes,
// lengths on both sides of the 16-byte inline head and of the 0xFFFF long-id mark, up to 64 KiB.
TEST(LookupTable, ForcedCollisionsAnswerByExactBytesAndLength) {
  using namespace std::string_literals;
  const std::string head16(16, 'h');
  std::vector<std::string> present = {"a"s, "a\0"s, "\0a"s, "\xe3\x82\xb9\xe3\x83\x88-\xc3\xbc"s, "\xff\xfe\x80"s,
                                      head16, head16 + "\0"s, head16 + "x"s, std::string(65534, 'L'),
                                      std::string(65535, 'L'), std::string(65536, 'L'), "mid\0dle\0"s,
                                      "x\0y"s, "ab\0cd"s};
  std::vector<std::string> absent = {"a\0\0"s, "\0"s, "b"s, "\xe3\x82\xb9\xe3\x83\x88-\xc3\xbd"s, head16.substr(1),
                                     head16 + "\0\0"s, head16 + "y"s, std::string(65533, 'L'),
                                     std::string(65535, 'L') + "M", "mid\0dle"s,
                                     // the same lengths as ids above, other bytes: only the bytes can refuse them
                                     "a\x01"s, "x\x01y"s, "ab\x01" "cd"s, "mid\0dlf\0"s, std::string(15, 'h') + "H",
                                     "hhhhhhhXhhhhhhhh"s, std::string(65533, 'L') + "M", std::string(65534, 'L') + "M",
                                     std::string(65535, 'M')};
  constexpr uint64_t kSame = 0x1234'5678'9abc'def0u;
  StringColumn ids;
  std::vector<uint64_t> hash;
  std::vector<uint32_t> owner;
  for (const std::string& id : present) {
    ids.push_back(id);
    hash.push_back(kSame);
    owner.push_back(static_cast<uint32_t>(owner.size()) + 7);
  }
  LookupTable table(present.size(), hash.data(), owner.data(), ids.arena.data(), ids.offsets.data());
  for (size_t i = 0; i < present.size(); ++i) {
    const auto* slot = table.find(kSame, present[i], ids.arena.data());
    ASSERT_NE(slot, nullptr) << "id #" << i << " of " << present[i].size() << " bytes";
    EXPECT_EQ(slot->owner, i + 7) << "id #" << i;
  }
  for (size_t i = 0; i < absent.size(); ++i)
    EXPECT_EQ(table.find(kSame, absent[i], ids.arena.data()), nullptr) << "absent id #" << i;
}

// Two ids of one hash and length fill their home line (find's inline path judges both slots at
// once): each is found in its own slot; ids differing from them in the first, a middle or the
// last byte are not found, nor one id longer by a NUL (the zero-padded head matches) nor the
// same id under another hash. For every length the inline path takes (8 to 16 bytes). A broken
// inline path that always misses would still pass: find_slow answers then.
TEST(LookupTable, IdsSharingAHomeLineAreToldApartByLengthHashAndBytes) {
  constexpr uint64_t kSame = 0x0fed'cba9'8765'4321u;
  for (size_t n = 8; n <= LookupTable::kInline; ++n) {
    const std::string first(n, 'q');
    std::string second = first;
    second.back() = 'r';  // the second slot: the first differs from it in the last byte only
    StringColumn ids;
    ids.push_back(first);
    ids.push_back(second);
    const uint64_t hash[] = {kSame, kSame};
    const uint32_t owner[] = {3, 4};
    LookupTable table(2, hash, owner, ids.arena.data(), ids.offsets.data());
    const auto* a = table.find(kSame, first, ids.arena.data());
    const auto* b = table.find(kSame, second, ids.arena.data());
    ASSERT_NE(a, nullptr) << n << " bytes";
    ASSERT_NE(b, nullptr) << n << " bytes";
    EXPECT_EQ(a->owner, 3u) << n << " bytes";
    EXPECT_EQ(b->owner, 4u) << n << " bytes";
    EXPECT_EQ(b - a, 1) << "both in one line, " << n << " bytes";
    for (const std::string& present : {first, second})
      for (size_t at : {size_t{0}, n / 2, n - 1}) {
        std::string other = present;
        other[at] = 'z';
        EXPECT_EQ(table.find(kSame, other, ids.arena.data()), nullptr)
            << n << " bytes, byte " << at << " of slot " << (present == first ? 1 : 2) << "'s id differs";
      }
    for (const std::string& present : {first, second}) {
      if (n < LookupTable::kInline) {
        EXPECT_EQ(table.find(kSame, present + '\0', ids.arena.data()), nullptr) << n << " bytes and a NUL";
      }
      EXPECT_EQ(table.find(kSame ^ (uint64_t{1} << 40), present, ids.arena.data()), nullptr) << n << " bytes, another hash";
    }
  }
}

// Five ids of one hash and length fill their home line and go on past it: each is found in the
// slot linear probing gave it, in order, and an id of the same hash and length that is not there
// is not.
TEST(LookupTable, IdsPastTheirHomeLineAreFoundInTheSlotsProbingGaveThem) {
  constexpr uint64_t kSame = 0;  // home: the first line, so the five never wrap
  StringColumn ids;
  std::vector<uint64_t> hash;
  std::vector<uint32_t> owner;
  for (char c = 'a'; c <= 'e'; ++c) {
    ids.push_back("stream-0" + std::string(1, c));
    hash.push_back(kSame);
    owner.push_back(static_cast<uint32_t>(c));
  }
  LookupTable table(ids.size(), hash.data(), owner.data(), ids.arena.data(), ids.offsets.data());
  const auto* first = table.find(kSame, ids.at(0), ids.arena.data());
  ASSERT_NE(first, nullptr);
  for (uint64_t i = 0; i < ids.size(); ++i) {
    const auto* slot = table.find(kSame, ids.at(i), ids.arena.data());
    ASSERT_NE(slot, nullptr) << ids.at(i);
    EXPECT_EQ(slot->owner, owner[i]) << ids.at(i);
    EXPECT_EQ(slot - first, static_cast<ptrdiff_t>(i)) << ids.at(i) << " is not where linear probing put it";
  }
  EXPECT_EQ(table.find(kSame, "stream-0f", ids.arena.data()), nullptr);
}

// A hash of all ones has the last line for home (the multiply-shift picks lines - 1): the ids
// that do not fit there wrap to the first slots, and find still finds each and nothing else.
TEST(LookupTable, IdsWhoseHomeIsTheLastLineWrapToTheFirstAndAreFound) {
  constexpr uint64_t kLast = ~uint64_t{0};
  for (uint32_t count : {2u, 3u, 6u, 9u}) {
    StringColumn ids;
    std::vector<uint64_t> hash;
    std::vector<uint32_t> owner;
    for (uint32_t i = 0; i < count; ++i) {
      ids.push_back("last-line-" + std::to_string(i));
      hash.push_back(kLast);
      owner.push_back(100 + i);
    }
    LookupTable table(count, hash.data(), owner.data(), ids.arena.data(), ids.offsets.data());
    for (uint32_t i = 0; i < count; ++i) {
      const auto* slot = table.find(kLast, ids.at(i), ids.arena.data());
      ASSERT_NE(slot, nullptr) << count << " ids, " << ids.at(i);
      EXPECT_EQ(slot->owner, owner[i]) << count << " ids, " << ids.at(i);
    }
    if (count >= 3) {  // the third went past the last line's two slots, to the table's start
      EXPECT_LT(table.find(kLast, ids.at(2), ids.arena.data()), table.find(kLast, ids.at(0), ids.arena.data()))
          << count << " ids";
    }
    EXPECT_EQ(table.find(kLast, "last-line-x", ids.arena.data()), nullptr) << count << " ids";
    EXPECT_EQ(table.find(kLast, "last-line-" + std::to_string(count), ids.arena.data()), nullptr) << count << " ids";
  }
}

}  // namespace
}  // namespace berth
