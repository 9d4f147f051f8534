// Snapshots survive the round trip to bytes, and bytes from anywhere never crash the reader.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "common/hash.h"
#include "snapshot/codec.h"

namespace berth {
namespace {

Snapshot sample_snapshot(uint64_t streams, uint32_t servers) {
  Snapshot s;
  s.meta = Provenance{17, 3, "least_load", 1, 99, 1700000000000, "node-a"};
  auto sc = std::make_shared<ServerColumns>();
  for (uint32_t j = 0; j < servers; ++j) {
    sc->ids.push_back("srv-" + std::to_string(100 + j));
    sc->capacity.push_back(1.0 + j);
    sc->state.push_back(j == 1 ? BERTH_SERVER_DRAINING : BERTH_SERVER_UP);
  }
  auto st = std::make_shared<StreamColumns>();
  st->tenants.push_back("");
  st->tenants.push_back("tenant-a");
  for (uint64_t i = 0; i < streams; ++i) {
    std::string id = "s/" + std::to_string(i * 7919);
    st->ids.push_back(id);
    st->hash.push_back(stream_hash(id));
    st->tenant.push_back(static_cast<uint32_t>(i % 2));
    s.load.push_back(static_cast<float>(0.5 + static_cast<double>(i % 13)));
    s.owner.push_back(static_cast<uint32_t>(i % servers));
  }
  s.servers = sc;
  s.streams = st;
  return s;
}

TEST(SnapshotCodec, RoundTripKeepsEverything) {
  Snapshot in = sample_snapshot(500, 4);
  Snapshot out = decode_snapshot(encode_snapshot(in));
  EXPECT_EQ(out.meta.version, 17u);
  EXPECT_EQ(out.meta.epoch, 3u);
  EXPECT_EQ(out.meta.policy, "least_load");
  EXPECT_EQ(out.meta.behaviour_version, 1u);
  EXPECT_EQ(out.meta.rules_hash, 99u);
  EXPECT_EQ(out.meta.created_unix_ms, 1700000000000);
  EXPECT_EQ(out.meta.leader, "node-a");
  ASSERT_EQ(out.server_count(), 4u);
  for (uint32_t j = 0; j < 4; ++j) {
    EXPECT_EQ(out.servers->ids.at(j), in.servers->ids.at(j));
    EXPECT_EQ(out.servers->capacity[j], in.servers->capacity[j]);
    EXPECT_EQ(out.servers->state[j], in.servers->state[j]);
  }
  ASSERT_EQ(out.stream_count(), 500u);
  for (uint64_t i = 0; i < 500; ++i) {
    EXPECT_EQ(out.streams->ids.at(i), in.streams->ids.at(i));
    EXPECT_EQ(out.streams->hash[i], in.streams->hash[i]);
    EXPECT_EQ(out.streams->tenants.at(out.streams->tenant[i]), in.streams->tenants.at(in.streams->tenant[i]));
    EXPECT_EQ(out.load[i], in.load[i]);
    EXPECT_EQ(out.owner[i], in.owner[i]);
  }
}

TEST(SnapshotCodec, FinishedSnapshotsAgreeOnDerivedFigures) {
  auto names = std::make_shared<ServerNames>();
  Snapshot a = sample_snapshot(300, 5);
  Snapshot b = decode_snapshot(encode_snapshot(a));
  finish_snapshot(a, nullptr, names);
  finish_snapshot(b, nullptr, names);
  EXPECT_EQ(a.server_load, b.server_load);
  EXPECT_EQ(a.server_streams, b.server_streams);
  EXPECT_EQ(a.balance.max_over_lb, b.balance.max_over_lb);
  EXPECT_EQ(a.placer_error_code, BERTH_E_STATE) << "no policy: new streams cannot be placed, and it says so";
}

void expect_corrupt_or_valid(std::string_view bytes) {
  try {
    Snapshot s = decode_snapshot(bytes);
    auto names = std::make_shared<ServerNames>();
    finish_snapshot(s, nullptr, names);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << e.what();
  }
}

TEST(SnapshotCodec, EveryTruncationFailsCleanly) {
  std::string bytes = encode_snapshot(sample_snapshot(40, 3));
  for (size_t len = 0; len < bytes.size(); ++len) {
    SCOPED_TRACE(len);
    expect_corrupt_or_valid(std::string_view(bytes).substr(0, len));
  }
  EXPECT_THROW(decode_snapshot(""), Error);
}

TEST(SnapshotCodec, RandomCorruptionNeverCrashes) {
  std::string bytes = encode_snapshot(sample_snapshot(60, 3));
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string damaged = bytes;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) damaged[rng() % damaged.size()] = static_cast<char>(rng());
    expect_corrupt_or_valid(damaged);
  }
}

TEST(SnapshotCodec, HostileSizesAreRefusedBeforeAllocating) {
  // A segment table (one segment of 2^31 words: bytes 00 00 00 00 00 00 00 80), packed: tag 0x80
  // says only byte 7 is non-zero, and that byte follows.
  std::string hostile = std::string("\x80\x80", 2);
  try {
    decode_snapshot(hostile);
    FAIL() << "hostile header accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
  }
  EXPECT_THROW(decode_snapshot("this is not a snapshot at all, just words"), Error);
}

TEST(SnapshotCodec, OwnersOutOfRangeAndDuplicateIdsAreRejected) {
  auto names = std::make_shared<ServerNames>();
  Snapshot bad_owner = sample_snapshot(10, 2);
  bad_owner.owner[4] = 7;
  Snapshot decoded = decode_snapshot(encode_snapshot(bad_owner));
  try {
    finish_snapshot(decoded, nullptr, names);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("server #7"), std::string::npos) << e.what();
  }

  Snapshot dup = sample_snapshot(3, 2);
  auto st = std::make_shared<StreamColumns>(*dup.streams);
  st->ids.push_back("s/0");
  st->hash.push_back(stream_hash("s/0"));
  st->tenant.push_back(0);
  dup.streams = st;
  dup.load.push_back(1);
  dup.owner.push_back(0);
  Snapshot dup_decoded = decode_snapshot(encode_snapshot(dup));
  try {
    finish_snapshot(dup_decoded, nullptr, names);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s/0"), std::string::npos) << e.what();
  }
}

TEST(SnapshotCodec, ServerInfoRoundTripAndGarbage) {
  ServerInfo info = decode_server_info(encode_server_info(ServerInfo{2.5, BERTH_SERVER_READ_ONLY}));
  EXPECT_EQ(info.capacity, 2.5);
  EXPECT_EQ(info.state, BERTH_SERVER_READ_ONLY);
  EXPECT_THROW(decode_server_info("abc"), Error);
  EXPECT_THROW(decode_server_info(std::string(16, '\xff')), Error);
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(SnapshotTable, SharedWhenNothingMovedPatchedWhenAFewDidRebuiltOtherwise) {
  auto names = std::make_shared<ServerNames>();
  Snapshot first = sample_snapshot(400, 4);
  finish_snapshot(first, nullptr, names);

  auto same = [&](auto&& change) {
    Snapshot next;
    next.servers = first.servers;
    next.streams = first.streams;
    next.load = first.load;
    next.owner = first.owner;
    change(next);
    finish_snapshot(next, nullptr, names, &first);
    return next;
  };
  Snapshot unchanged = same([](Snapshot&) {});
  EXPECT_EQ(unchanged.table, first.table) << "nothing moved: the table is shared";

  Snapshot moved = same([](Snapshot& s) { s.owner[7] = (s.owner[7] + 1) % 4; });
  EXPECT_NE(moved.table, first.table);
  for (uint64_t i = 0; i < 400; ++i) {
    std::string_view id = first.streams->ids.at(i);
    const auto* slot = moved.table->find(stream_hash(id), id, first.streams->ids.arena.data());
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(slot->owner, moved.owner[i]) << id;
    EXPECT_EQ(first.table->find(stream_hash(id), id, first.streams->ids.arena.data())->owner, first.owner[i])
        << "the previous snapshot's table changed under its readers";
  }

  Snapshot reshuffled = same([](Snapshot& s) {
    for (auto& o : s.owner) o = (o + 1) % 4;
  });
  for (uint64_t i = 0; i < 400; ++i) {
    std::string_view id = first.streams->ids.at(i);
    EXPECT_EQ(reshuffled.table->find(stream_hash(id), id, first.streams->ids.arena.data())->owner, reshuffled.owner[i]);
  }
}

}  // namespace
}  // namespace berth
