// Decoding a delta is decoding untrusted bytes: truncated, corrupt or hostile deltas, and deltas
// against a checkpoint the reader does not hold, fail with a clear Error and never crash.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "berth/snapshot.capnp.h"
#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/schema_edit.h"

namespace berth::test {
namespace {

struct Pair {
  Snapshot base, next;
  std::string delta;
};

// A checkpoint of 200 streams and a next version that moved, removed and added some.
Pair sample() {
  Pair p;
  p.base = make_snapshot(10, make_servers(server_ids(4)), stream_ids(200));
  finish(p.base);
  std::vector<std::string> ids;
  for (uint64_t i = 0; i < 200; ++i)
    if (i % 40 != 5) ids.push_back("stream-" + std::to_string(i));
  for (const std::string& id : stream_ids(5, 5000)) ids.push_back(id);
  p.next = make_snapshot(11, p.base.servers, ids);
  for (uint64_t i = 0; i < p.next.stream_count(); i += 9) p.next.owner[i] = (p.next.owner[i] + 1) % 4;
  finish(p.next);
  p.delta = *encode_delta(p.base, p.next, size_t{1} << 30);
  return p;
}

// Reads, decodes and applies `bytes` as a follower would; returns the error code (BERTH_OK when
// everything held) and its message.
std::pair<int32_t, std::string> follow(const Snapshot& base, std::string_view bytes) {
  try {
    Snapshot s = apply_delta(base, decode_delta(bytes));
    finish(s);
    return {BERTH_OK, ""};
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
}


TEST(SnapshotDeltaCorrupt, EveryTruncationIsACleanError) {
  Pair p = sample();
  for (size_t len = 0; len < p.delta.size(); len += 1 + len / 64) {
    auto [code, message] = follow(p.base, std::string_view(p.delta).substr(0, len));
    EXPECT_EQ(code, BERTH_E_CORRUPT) << "truncated to " << len << " of " << p.delta.size() << " bytes: " << message;
  }
}

TEST(SnapshotDeltaCorrupt, FlippedBytesNeverCrashAndNeverPassSilentlyBroken) {
  Pair p = sample();
  std::mt19937_64 random(7);
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = p.delta;
    for (int flips = 0; flips < 1 + round % 4; ++flips)
      bytes[random() % bytes.size()] ^= static_cast<char>(1u << (random() % 8));
    auto [code, message] = follow(p.base, bytes);
    EXPECT_TRUE(code == BERTH_OK || code == BERTH_E_CORRUPT) << code << ": " << message;
    rejected += code != BERTH_OK;
  }
  EXPECT_GT(rejected, 0);
}

TEST(SnapshotDeltaCorrupt, AFullSnapshotIsNotADeltaNorADeltaAFullSnapshot) {
  Pair p = sample();
  auto [code, message] = follow(p.base, encode_snapshot(p.next));
  EXPECT_EQ(code, BERTH_E_CORRUPT);
  EXPECT_NE(message.find("full snapshot"), std::string::npos) << message;
  try {
    decode_snapshot(p.delta);
    ADD_FAILURE() << "a delta decoded as a full snapshot";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("delta against version 10"), std::string::npos) << e.what();
  }
}

TEST(SnapshotDeltaCorrupt, ReadersPredatingDeltasFindColumnsThatDisagree) {
  // What a reader that knows no `delta` field sees: no ids, but one owner.
  Pair p = sample();
  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(p.delta.data()), p.delta.size()));
  capnp::PackedMessageReader reader(input);
  auto streams = reader.getRoot<schema::Snapshot>().getStreams();
  EXPECT_EQ(streams.getIdEnds().size(), 0u);
  EXPECT_EQ(streams.getOwner().size(), 1u);
}

TEST(SnapshotDeltaCorrupt, ADeltaAgainstAnotherCheckpointIsRefusedNamingBoth) {
  Pair p = sample();
  Snapshot other = make_snapshot(9, p.base.servers, stream_ids(200));
  auto [code, message] = follow(other, p.delta);
  EXPECT_EQ(code, BERTH_E_CORRUPT);
  EXPECT_NE(message.find("against version 10"), std::string::npos) << message;
  EXPECT_NE(message.find("checkpoint at hand is version 9"), std::string::npos) << message;

  Snapshot same_version_fewer_streams = make_snapshot(10, p.base.servers, stream_ids(150));
  EXPECT_EQ(follow(same_version_fewer_streams, p.delta).first, BERTH_E_CORRUPT);
}

struct Hostile {
  const char* what;
  std::function<void(schema::Snapshot::Builder)> edit;
  const char* expected;  // part of the message
};

TEST(SnapshotDeltaCorrupt, HostileFieldsAreRefusedWithWhatIsWrong) {
  Pair p = sample();
  const Hostile cases[] = {
      {"removed index past the base", [](auto r) { r.getDelta().getRemoved().set(0, 200); }, "past the base"},
      {"removed not ascending", [](auto r) { r.getDelta().getRemoved().set(1, 0); }, "not strictly ascending"},
      {"changed past the base", [](auto r) { r.getDelta().getChanged().set(0, 4000000000u); }, "past the base"},
      {"removed and changed", [](auto r) {
         auto d = r.getDelta();
         d.getChanged().set(0, d.getRemoved()[0]);
       }, ""},
      {"owner out of range", [](auto r) { r.getDelta().getChangedOwner().set(0, 99); }, "server #99"},
      {"tenant out of range", [](auto r) { r.getDelta().getChangedTenant().set(0, 7); }, "tenant #7"},
      {"negative load", [](auto r) { r.getDelta().getChangedLoad().set(0, -1.0f); }, "load"},
      {"columns of different lengths", [](auto r) { r.getDelta().initChangedLoad(1); }, "different lengths"},
      {"no base", [](auto r) { r.getDelta().setBaseVersion(0); }, "base version 0"},
      {"base not older", [](auto r) { r.getDelta().setBaseVersion(11); }, "not an earlier version"},
      {"head of another version", [](auto r) { r.setVersion(12); }, "head says version 11"},
      {"head missing", [](auto r) { r.getDelta().disownHead(); }, "head does not decode"},
      {"head garbage", [](auto r) { r.getDelta().initHead(40); }, "head does not decode"},
  };
  for (const Hostile& c : cases) {
    auto [code, message] = follow(p.base, edited(p.delta, c.edit));
    EXPECT_EQ(code, BERTH_E_CORRUPT) << c.what << ": " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.what << ": " << message;
  }
}

TEST(SnapshotDeltaCorrupt, AnAddedStreamThatIsAlreadyThereIsRefused) {
  Pair p = sample();
  // The head's streams are the added ones: give one the id of a stream the base keeps.
  Snapshot head_with_duplicate = make_snapshot(11, p.base.servers, {"stream-0"});
  std::string bad = edited(p.delta, [&](schema::Snapshot::Builder r) {
    std::string head = encode_snapshot(head_with_duplicate);
    r.getDelta().setHead(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(head.data()), head.size()));
  });
  auto [code, message] = follow(p.base, bad);
  EXPECT_EQ(code, BERTH_E_CORRUPT);
  EXPECT_NE(message.find("appears twice"), std::string::npos) << message;
}

TEST(SnapshotDeltaCorrupt, AStreamLeftOnAServerThatIsGoneIsRefused) {
  Snapshot base = make_snapshot(10, make_servers(server_ids(3)), stream_ids(30));
  finish(base);
  Snapshot next = next_version(base, 11);
  next.servers = make_servers(server_ids(2));  // srv-1002 gone, but its streams not moved
  for (uint64_t i = 0; i < 30; ++i) next.owner[i] = next.owner[i] % 2;
  finish(next);
  std::string bytes = *encode_delta(base, next, size_t{1} << 30);
  std::string bad = edited(bytes, [](schema::Snapshot::Builder r) {
    r.getDelta().initChanged(0);  // forget the moves
    r.getDelta().initChangedOwner(0);
    r.getDelta().initChangedLoad(0);
    r.getDelta().initChangedTenant(0);
  });
  auto [code, message] = follow(base, bad);
  EXPECT_EQ(code, BERTH_E_CORRUPT);
  EXPECT_NE(message.find("stays on server 'srv-1002'"), std::string::npos) << message;
}

TEST(SnapshotDeltaCorrupt, HostileSizesAreRefusedBeforeAllocating) {
  // A segment table claiming gigabytes.
  std::string bytes = {'\x10', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\x7f', '\x7f'};
  auto [code, message] = follow(make_snapshot(1, make_servers(server_ids(1)), {}), bytes);
  EXPECT_EQ(code, BERTH_E_CORRUPT) << message;
}

}  // namespace
}  // namespace berth::test
