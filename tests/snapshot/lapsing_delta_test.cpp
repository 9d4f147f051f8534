// Lapsing holds in deltas (docs/ownership.md, "Lapsing holds"): every delta carries the version's
// whole list, so a follower reads the lapses the leader published whatever its checkpoint had, and
// refuses the same lists a full snapshot's reader refuses (a lapse on a stream held, or removed
// while held, twice, or under token 0), naming the stream, now judged on the whole version.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/tombstones.h"

namespace berth::test {
namespace {

// 40 streams held by their owners under token 10; nobody holds stream-3 and stream-4, whose
// holder (server "srv-0999", gone) vanished.
Snapshot lapsed_base() {
  Snapshot s = make_snapshot(10, make_servers(server_ids(4)), stream_ids(40));
  hold_by_owners(s, 10);
  for (uint32_t i : {3u, 4u}) {
    s.holder[i] = BERTH_NO_SERVER;
    s.token[i] = 0;
    s.lapsing_holds.push_back(LapsingHold{"stream-" + std::to_string(i), "srv-0999", 7, 9, s.meta.epoch, 5000 + i});
  }
  finish(s);
  return s;
}

void expect_same_lapses(const Snapshot& read, const Snapshot& written) {
  ASSERT_EQ(read.lapsing_holds.size(), written.lapsing_holds.size());
  for (size_t k = 0; k < read.lapsing_holds.size(); ++k) {
    const LapsingHold &r = read.lapsing_holds[k], &w = written.lapsing_holds[k];
    EXPECT_EQ(r.stream, w.stream) << "lapse #" << k;
    EXPECT_EQ(r.server, w.server) << "lapse #" << k;
    EXPECT_EQ(r.incarnation, w.incarnation) << "lapse #" << k;
    EXPECT_EQ(r.token, w.token) << "lapse #" << k;
    EXPECT_EQ(r.epoch, w.epoch) << "lapse #" << k;
    EXPECT_EQ(r.until_ns, w.until_ns) << "lapse #" << k;
  }
}

// `next` as a follower holding `base` reads it from a delta, finished.
Snapshot through_delta(const Snapshot& base, const Snapshot& next) {
  std::optional<std::string> bytes = encode_delta(base, next, size_t{1} << 30);
  EXPECT_TRUE(bytes.has_value());
  Snapshot s = apply_delta(base, decode_delta(*bytes));
  finish(s, &base);
  return s;
}

// The message reading `next` from a delta against `base` fails with (BERTH_E_CORRUPT), or "".
std::string delta_refusal(const Snapshot& base, const Snapshot& next) {
  try {
    through_delta(base, next);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << e.what();
    return e.what();
  }
}

TEST(SnapshotLapsingDelta, LapsesGoneAndBackReadAsWrittenThroughDeltas) {
  Snapshot base = lapsed_base();
  // The lapses end: stream-3 granted to its owner, stream-4 released; nothing else changed.
  Snapshot none = next_version(base, 11);
  none.holder[3] = none.owner[3];
  none.token[3] = 11;
  finish(none, &base);
  Snapshot read = through_delta(base, none);
  EXPECT_TRUE(read.lapsing_holds.empty());
  EXPECT_EQ(read.holder, none.holder);
  EXPECT_EQ(read.token, none.token);
  // Another holder vanishes: its stream lapses, as does one that is not in the version at all.
  Snapshot again = next_version(none, 12);
  again.holder[20] = BERTH_NO_SERVER;
  again.token[20] = 0;
  again.lapsing_holds = {LapsingHold{"stream-20", "srv-1000", 3, 10, 2, 9000},
                         LapsingHold{"stream-777", "srv-1000", 3, 11, 2, 9000}};
  finish(again, &none);
  // Against the checkpoint with lapses and against the one without.
  for (const Snapshot* checkpoint : {&base, &none}) {
    Snapshot back = through_delta(*checkpoint, again);
    expect_same_lapses(back, again);
    EXPECT_EQ(back.holder, again.holder);
  }
}

TEST(SnapshotLapsingDelta, DecodingRefusesALapseOnAStreamHeldInTheVersionNamingIt) {
  Snapshot base = lapsed_base();
  ASSERT_EQ(delta_refusal(base, next_version(base, 11)), "");
  // stream-6 is a base stream the delta leaves as it was: held by its owner.
  Snapshot kept = next_version(base, 11);
  kept.lapsing_holds = base.lapsing_holds;
  kept.lapsing_holds[0].stream = "stream-6";
  finish(kept, &base);
  EXPECT_NE(delta_refusal(base, kept).find("lapsing hold of stream 'stream-6': the stream is also held by server #"),
            std::string::npos)
      << delta_refusal(base, kept);
  // stream-3 is a changed stream, granted in this version while its lapse stays.
  Snapshot changed = next_version(base, 11);
  changed.lapsing_holds = base.lapsing_holds;
  changed.holder[3] = changed.owner[3];
  changed.token[3] = 11;
  finish(changed, &base);
  EXPECT_NE(delta_refusal(base, changed).find("lapsing hold of stream 'stream-3': the stream is also held by server #"),
            std::string::npos)
      << delta_refusal(base, changed);
  // stream-40 is added in this version, held.
  Snapshot added = make_snapshot(11, base.servers, stream_ids(41));
  hold_by_owners(added, 11);
  added.lapsing_holds = base.lapsing_holds;
  added.lapsing_holds[1].stream = "stream-40";
  for (uint32_t i : {3u, 4u}) added.holder[i] = BERTH_NO_SERVER, added.token[i] = 0;
  finish(added, &base);
  EXPECT_NE(delta_refusal(base, added).find("lapsing hold of stream 'stream-40': the stream is also held by server #"),
            std::string::npos)
      << delta_refusal(base, added);
}

TEST(SnapshotLapsingDelta, DecodingRefusesADuplicateOrTokenZeroNamingTheStream) {
  Snapshot base = lapsed_base();
  Snapshot twice = next_version(base, 11);
  twice.lapsing_holds = base.lapsing_holds;
  twice.lapsing_holds.push_back(base.lapsing_holds[1]);
  finish(twice, &base);
  EXPECT_NE(delta_refusal(base, twice).find("(stream 'stream-4') names a stream listed before"), std::string::npos)
      << delta_refusal(base, twice);
  Snapshot zero = next_version(base, 11);
  zero.lapsing_holds = base.lapsing_holds;
  zero.lapsing_holds[0].token = 0;
  finish(zero, &base);
  EXPECT_NE(delta_refusal(base, zero).find("(stream 'stream-3') has token 0"), std::string::npos)
      << delta_refusal(base, zero);
}

TEST(SnapshotLapsingDelta, DecodingRefusesALapseOnAStreamRemovedWhileHeld) {
  Snapshot base = lapsed_base();
  // stream-39 removed while server #3 holds it, and said to lapse too.
  Snapshot next = make_snapshot(11, base.servers, stream_ids(39));
  hold_by_owners(next, 10);
  for (uint32_t i : {3u, 4u}) next.holder[i] = BERTH_NO_SERVER, next.token[i] = 0;
  next.tombstones = std::make_shared<const Tombstones>(std::vector<std::string>{"stream-39"});
  next.removed_holds = {RemovedHold{"stream-39", 3, 10}};
  next.lapsing_holds = base.lapsing_holds;
  finish(next, &base);
  ASSERT_EQ(delta_refusal(base, next), "");
  next.lapsing_holds.push_back(LapsingHold{"stream-39", "srv-1003", 1, 10, 2, 9000});
  EXPECT_NE(delta_refusal(base, next).find("lapsing hold of stream 'stream-39': the stream is also a removed stream still held"),
            std::string::npos)
      << delta_refusal(base, next);
}

}  // namespace
}  // namespace berth::test
