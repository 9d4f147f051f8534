// Removed streams (snapshot/tombstones.h) in published bytes: bounded by count and bytes, each id
// no longer than an intake record's, and never one of the snapshot's own streams. Bytes past
// those bounds were not written by a leader and are refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "berth/snapshot.capnp.h"
#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/schema_edit.h"

namespace berth::test {
namespace {

std::pair<int32_t, std::string> decode_error(std::string_view bytes) {
  try {
    decode_snapshot(bytes);
    return {BERTH_OK, ""};
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
}

Snapshot with_tombstones(std::vector<std::string> dead) {
  Snapshot s = make_snapshot(5, make_servers(server_ids(2)), stream_ids(10));
  s.tombstones = std::make_shared<const Tombstones>(std::move(dead));
  return s;
}

// Sets the tombstones field of `bytes` to `dead` as written, past any bound.
std::string with_raw_tombstones(const std::string& bytes, const std::vector<std::string>& dead) {
  return edited(bytes, [&](schema::Snapshot::Builder r) {
    auto out = r.initTombstones(static_cast<unsigned>(dead.size()));
    for (unsigned k = 0; k < dead.size(); ++k) out.set(k, capnp::Text::Reader(dead[k].data(), dead[k].size()));
  });
}

TEST(TombstonesByteBound, TheOldestGoFirstPastTheByteBound) {
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(std::to_string(1000 + i) + std::string(kMaxTombstoneIdBytes - 4, 'x'));
  Tombstones kept(ids);
  EXPECT_LE(kept.bytes(), kMaxTombstoneBytes);
  EXPECT_EQ(kept.size(), kMaxTombstoneBytes / kMaxTombstoneIdBytes);
  EXPECT_TRUE(kept.contains(ids.back()));
  EXPECT_FALSE(kept.contains(ids.front()));
  EXPECT_EQ(kept.ids().front(), ids[100 - kept.size()]) << "the newest are kept, in their order";
}

TEST(TombstonesByteBound, ADuplicateCountsAtItsNewestPlace) {
  Tombstones kept({"a", "b", "a", "c"});
  EXPECT_EQ(kept.ids(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(kept.bytes(), 3u);
}

TEST(TombstonesDecode, WithinTheBoundsTheyRoundTrip) {
  Snapshot s = with_tombstones({"gone-1", "gone-2"});
  Snapshot read = decode_snapshot(encode_snapshot(s));
  ASSERT_TRUE(read.tombstones);
  EXPECT_EQ(read.tombstones->ids(), s.tombstones->ids());
}

TEST(TombstonesDecode, MoreBytesThanALeaderKeepsAreRefused) {
  std::string bytes = encode_snapshot(with_tombstones({}));
  std::vector<std::string> dead;
  for (size_t i = 0; i <= kMaxTombstoneBytes / kMaxTombstoneIdBytes; ++i)
    dead.push_back(std::to_string(1000 + i) + std::string(kMaxTombstoneIdBytes - 4, 'x'));
  auto [code, message] = decode_error(with_raw_tombstones(bytes, dead));
  EXPECT_EQ(code, BERTH_E_CORRUPT);
  EXPECT_NE(message.find("removed streams of more than " + std::to_string(kMaxTombstoneBytes) + " bytes"),
            std::string::npos)
      << message;
}

TEST(TombstonesDecode, AnIdLongerThanAnIntakeRecordCarriesIsRefused) {
  std::string bytes = encode_snapshot(with_tombstones({}));
  auto [code, message] = decode_error(with_raw_tombstones(bytes, {"fine", std::string(kMaxTombstoneIdBytes + 1, 'y')}));
  EXPECT_EQ(code, BERTH_E_CORRUPT);
  EXPECT_NE(message.find("removed stream #1 has an id of " + std::to_string(kMaxTombstoneIdBytes + 1) + " bytes"),
            std::string::npos)
      << message;
}

TEST(TombstonesDecode, AStreamBothPresentAndRemovedIsRefused) {
  auto [code, message] = decode_error(encode_snapshot(with_tombstones({"gone", "stream-7"})));
  EXPECT_EQ(code, BERTH_E_CORRUPT);
  EXPECT_NE(message.find("'stream-7' both among its streams and as removed"), std::string::npos) << message;
}

TEST(TombstonesDecode, ADeltaBuryingAStreamItKeepsIsRefused) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(2)), stream_ids(20));
  finish(base);
  Snapshot next = next_version(base, 11);
  next.tombstones = std::make_shared<const Tombstones>(std::vector<std::string>{"stream-3"});  // kept from the base
  finish(next, &base);
  auto delta = encode_delta(base, next, size_t{1} << 20);
  ASSERT_TRUE(delta);
  try {
    apply_delta(base, decode_delta(*delta));
    ADD_FAILURE() << "a delta keeping a stream it lists as removed was applied";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("'stream-3' both among its streams and as removed"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace berth::test
