// Ownership in deltas: a stream whose holder or token changed is a changed stream, added streams
// carry their own, unchanged streams keep the checkpoint's (followed by server id when servers
// are renumbered), and a version with or without holders reads back as such whatever its base.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/schema_edit.h"

namespace berth::test {
namespace {

// `next` as a follower holding `base` reads it from a delta, finished; the delta's counts too.
Snapshot through_delta(const Snapshot& base, const Snapshot& next, DeltaCounts* counts = nullptr) {
  std::optional<std::string> bytes = encode_delta(base, next, size_t{1} << 30, counts);
  EXPECT_TRUE(bytes.has_value());
  Snapshot s = apply_delta(base, decode_delta(*bytes));
  finish(s, &base);
  return s;
}

Snapshot held_base() {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(300));
  hold_by_owners(base, 10);
  finish(base);
  return base;
}

TEST(SnapshotOwnershipDelta, AHolderOnlyChangeIsAChangedStream) {
  Snapshot base = held_base();
  Snapshot next = next_version(base, 11);
  next.holder[7] = BERTH_NO_SERVER;  // released
  next.token[7] = 0;
  next.holder[8] = (next.owner[8] + 1) % 4;  // owner unchanged, held elsewhere under a newer grant
  next.token[8] = 11;
  next.token[9] = 11;  // granted again to the same server
  finish(next, &base);
  DeltaCounts counts;
  Snapshot s = through_delta(base, next, &counts);
  EXPECT_EQ(counts.changed, 3u);
  EXPECT_EQ(counts.added, 0u);
  EXPECT_EQ(s.holder, next.holder);
  EXPECT_EQ(s.token, next.token);
  EXPECT_EQ(s.owner, next.owner);
}

TEST(SnapshotOwnershipDelta, AddedStreamsCarryTheirOwnAndRemovedOnesLeaveTheirs) {
  Snapshot base = held_base();
  std::vector<std::string> ids;
  for (uint64_t i = 0; i < 300; ++i)
    if (i % 50 != 4) ids.push_back("stream-" + std::to_string(i));
  for (const std::string& id : stream_ids(6, 9000)) ids.push_back(id);
  Snapshot next = make_snapshot(12, base.servers, ids);
  hold_by_owners(next, 10);
  for (uint64_t i = next.stream_count() - 6; i < next.stream_count(); ++i) {
    if (i % 2 == 0) {
      next.holder[i] = BERTH_NO_SERVER;  // not granted yet
      next.token[i] = 0;
    } else {
      next.token[i] = 12;
    }
  }
  // Owners follow make_snapshot's pattern, so streams after a removal changed owner: their
  // holders follow, under the same tokens, as a leader that waited for every release would have.
  finish(next);
  DeltaCounts counts;
  Snapshot s = through_delta(base, next, &counts);
  EXPECT_EQ(counts.added, 6u);
  EXPECT_EQ(counts.removed, 6u);
  EXPECT_EQ(s.holder, next.holder);
  EXPECT_EQ(s.token, next.token);
}

TEST(SnapshotOwnershipDelta, UnchangedHoldersFollowTheirServerWhenServersAreRenumbered) {
  Snapshot base = held_base();
  // A server sorting first joins: every index moves up by one, nothing else changes.
  std::vector<std::string> ids = server_ids(4);
  ids.insert(ids.begin(), "srv-0000");
  auto servers = make_servers(ids);
  servers->incarnation = {5, 1, 2, 3, 4};
  Snapshot next = next_version(base, 11);
  next.servers = servers;
  for (uint64_t i = 0; i < next.stream_count(); ++i) {
    ++next.owner[i];
    ++next.holder[i];
  }
  finish(next, &base);
  DeltaCounts counts;
  Snapshot s = through_delta(base, next, &counts);
  EXPECT_EQ(counts.changed, 0u);
  EXPECT_EQ(s.holder, next.holder);
  EXPECT_EQ(s.token, next.token);
  for (uint32_t j = 0; j < 5; ++j) EXPECT_EQ(s.servers->incarnation_of(j), servers->incarnation[j]) << "server #" << j;
}

TEST(SnapshotOwnershipDelta, ABaseWithoutHoldersHoldsNothingForTheDeltaAfterIt) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(100));
  finish(base);
  Snapshot next = next_version(base, 11);
  hold_by_owners(next, 11);
  next.holder[0] = BERTH_NO_SERVER;
  next.token[0] = 0;
  finish(next, &base);
  DeltaCounts counts;
  Snapshot s = through_delta(base, next, &counts);
  EXPECT_EQ(counts.changed, 99u);  // all but the stream still held by nobody
  EXPECT_EQ(s.holder, next.holder);
  EXPECT_EQ(s.token, next.token);
}

TEST(SnapshotOwnershipDelta, AVersionWithoutHoldersReadsWithoutThemOverAHeldBase) {
  Snapshot base = held_base();
  Snapshot next = next_version(base, 11);
  next.holder.clear();
  next.token.clear();
  next.owner[3] = (next.owner[3] + 1) % 4;
  finish(next, &base);
  Snapshot s = through_delta(base, next);
  EXPECT_TRUE(s.holder.empty());
  EXPECT_TRUE(s.token.empty());
  EXPECT_EQ(s.owner, next.owner);
}

TEST(SnapshotOwnershipDelta, AStreamKeptOnAHolderTheVersionLacksIsRefusedByName) {
  Snapshot base = held_base();
  Snapshot next = next_version(base, 11);
  hold_by_owners(next, 10);
  next.holder[5] = (next.owner[5] + 1) % 4;
  finish(next, &base);
  std::string bytes = *encode_delta(base, next, size_t{1} << 30);
  Delta d = decode_delta(bytes);
  // The same delta over a checkpoint whose stream 6 is held by a server the version does not have.
  Snapshot other = bare_copy(base);
  auto servers = std::make_shared<ServerColumns>(*base.servers);
  servers->ids = StringColumn();
  for (std::string_view id : {"srv-1000", "srv-1001", "srv-1002", "srv-1003", "srv-9999"}) servers->ids.push_back(id);
  servers->capacity.push_back(1.0);
  servers->state.push_back(BERTH_SERVER_UP);
  other.servers = servers;
  other.holder[6] = 4;
  try {
    apply_delta(other, d);
    FAIL() << "applied";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("stream 'stream-6' stays held by server 'srv-9999'"), std::string::npos)
        << e.what();
  }
}

TEST(SnapshotOwnershipDelta, DecodingRefusesChangedHoldersThatDisagree) {
  Snapshot base = held_base();
  Snapshot next = next_version(base, 11);
  next.token[4] = 11;
  finish(next, &base);
  const std::string bytes = *encode_delta(base, next, size_t{1} << 30);
  auto refusal = [&](const std::function<void(schema::Delta::Builder)>& change) -> std::string {
    try {
      Snapshot s = apply_delta(base, decode_delta(edited(bytes, [&](auto root) { change(root.getDelta()); })));
      finish(s, &base);
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << e.what();
      return e.what();
    }
  };
  EXPECT_EQ(refusal([](auto) {}), "");
  EXPECT_NE(refusal([](auto d) { d.initChangedToken(0); }).find("1 holders and 0 tokens for 1 changed streams"),
            std::string::npos);
  EXPECT_NE(refusal([](auto d) { d.setHeld(false); }).find("without holders"), std::string::npos);
  EXPECT_NE(refusal([](auto d) { d.getChangedHolder().set(0, 7); }).find("base stream #4 is held by server #7 of 4"),
            std::string::npos);
  EXPECT_NE(refusal([](auto d) { d.getChangedToken().set(0, 0); }).find("stream 'stream-4' is held by server"),
            std::string::npos);
}

}  // namespace
}  // namespace berth::test
