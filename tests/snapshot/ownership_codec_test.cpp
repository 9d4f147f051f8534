// Ownership in full snapshots and server info: holders, tokens and server incarnations survive
// the published bytes in every form the encoder picks, bytes written before ownership read as
// "nobody holds anything", and finish_snapshot refuses holder and token columns that disagree,
// naming the stream.
#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/io.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "common/error.h"
#include "snapshot/codec.h"
#include "snapshot/delta_fixture.h"
#include "snapshot/schema_edit.h"
#include "snapshot_v1.capnp.h"

namespace berth::test {
namespace {

// Full snapshot bytes seen through the schema, to check which form the encoder picked.
struct Reading {
  explicit Reading(std::string b)
      : bytes(std::move(b)),
        input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size())),
        reader(input) {}
  schema::Streams::Reader streams() { return reader.getRoot<schema::Snapshot>().getStreams(); }

  std::string bytes;
  kj::ArrayInputStream input;
  capnp::PackedMessageReader reader;
};

// 200 streams on 4 servers with incarnations; most held by their owner under one of a few
// tokens, stream 3 by another server, stream 10 by nobody.
Snapshot held_sample() {
  auto servers = make_servers(server_ids(4));
  servers->incarnation = {7, 0, uint64_t{1} << 40, 3};
  Snapshot s = make_snapshot(30, servers, stream_ids(200));
  s.holder = s.owner;
  for (uint64_t i = 0; i < s.stream_count(); ++i) s.token.push_back(20 + i % 3);
  s.holder[3] = (s.owner[3] + 1) % 4;
  s.holder[10] = BERTH_NO_SERVER;
  s.token[10] = 0;
  return s;
}

void expect_same_ownership(const Snapshot& a, const Snapshot& b) {
  EXPECT_EQ(a.holder, b.holder);
  EXPECT_EQ(a.token, b.token);
  ASSERT_EQ(a.server_count(), b.server_count());
  for (uint32_t j = 0; j < a.server_count(); ++j)
    EXPECT_EQ(a.servers->incarnation_of(j), b.servers->incarnation_of(j)) << "server #" << j;
}

TEST(SnapshotOwnershipCodec, FullRoundTripKeepsHoldersTokensAndIncarnations) {
  Snapshot s = held_sample();
  finish(s);
  Snapshot back = decode_snapshot(encode_snapshot(s));
  finish(back);
  expect_same_ownership(s, back);
  EXPECT_EQ(back.owner, s.owner);
}

TEST(SnapshotOwnershipCodec, HoldersMatchingOwnersTravelAsExceptionsAndTokensAsATable) {
  Snapshot s = held_sample();
  finish(s);
  Reading reading(encode_snapshot(s));
  auto columns = reading.streams();
  EXPECT_TRUE(columns.getHoldersAreOwners());
  EXPECT_EQ(columns.getHolder().size(), 0u);
  ASSERT_EQ(columns.getHolderExceptionIndex().size(), 2u);
  EXPECT_EQ(columns.getHolderExceptionIndex()[0], 3u);
  EXPECT_EQ(columns.getHolderExceptionIndex()[1], 10u);
  EXPECT_EQ(columns.getToken().size(), 0u);
  EXPECT_EQ(columns.getTokenTable().size(), 4u);  // 20, 21, 22 and 0 (nobody)
  EXPECT_EQ(columns.getTokenIndex().size(), 200u);
}

TEST(SnapshotOwnershipCodec, HoldersAwayFromTheirOwnersAndManyDistinctTokensTravelAsPlainLists) {
  constexpr uint64_t kStreams = 70000;  // more distinct tokens than a table takes
  Snapshot s = make_snapshot(100000, make_servers(server_ids(3)), stream_ids(kStreams));
  for (uint64_t i = 0; i < kStreams; ++i) {
    s.holder.push_back(i % 2 == 0 ? (s.owner[i] + 1) % 3 : s.owner[i]);
    s.token.push_back(i + 1);
  }
  finish(s);
  Reading reading(encode_snapshot(s));
  auto columns = reading.streams();
  EXPECT_FALSE(columns.getHoldersAreOwners());
  EXPECT_EQ(columns.getHolder().size(), kStreams);
  EXPECT_EQ(columns.getToken().size(), kStreams);
  EXPECT_EQ(columns.getTokenIndex().size(), 0u);
  Snapshot back = decode_snapshot(reading.bytes);
  finish(back);
  expect_same_ownership(s, back);
}

TEST(SnapshotOwnershipCodec, HoldersOverImplicitOwnersFollowTheRebuiltOwners) {
  Snapshot s = held_sample();
  OwnerDefaults defaults;
  defaults.policy = s.meta.policy;
  defaults.behaviour = s.meta.behaviour_version;
  defaults.owners = [](const berth_server_set& servers, uint64_t count, const uint64_t* hash, uint32_t* out) {
    for (uint64_t i = 0; i < count; ++i) out[i] = static_cast<uint32_t>(hash[i] % servers.count);
  };
  defaults.owners(s.servers->view(), s.owner.size(), s.streams->hash.data(), s.owner.data());
  s.holder = s.owner;
  s.holder[5] = (s.owner[5] + 2) % 4;
  s.holder[10] = BERTH_NO_SERVER;  // token 0 in held_sample
  finish(s);
  uint64_t owners_stored = 0;
  const std::string bytes = encode_snapshot(s, &defaults, &owners_stored);
  EXPECT_EQ(owners_stored, 0u);
  Snapshot back = decode_snapshot(bytes, [&](const std::string&, uint32_t) { return std::optional(defaults); });
  finish(back);
  expect_same_ownership(s, back);
}

TEST(SnapshotOwnershipCodec, ASnapshotWithoutHoldersDecodesWithEmptyColumns) {
  Snapshot s = make_snapshot(4, make_servers(server_ids(3)), stream_ids(50));
  finish(s);
  Snapshot back = decode_snapshot(encode_snapshot(s));
  finish(back);
  EXPECT_TRUE(back.holder.empty());
  EXPECT_TRUE(back.token.empty());
  for (uint32_t j = 0; j < back.server_count(); ++j) EXPECT_EQ(back.servers->incarnation_of(j), 0u);
}

// A snapshot and a server info written with the schema as first published, which had no
// ownership: nobody holds anything, every incarnation is 0.
TEST(SnapshotOwnershipCodec, BytesFromBeforeOwnershipReadAsNobodyHoldingAnything) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema_v1::Snapshot>();
  root.setVersion(9);
  auto servers = root.initServers(2);
  servers[0].setId("srv-a");
  servers[0].setCapacity(1);
  servers[1].setId("srv-b");
  servers[1].setCapacity(2);
  root.initTenants(1).set(0, "");
  auto streams = root.initStreams();
  const std::string ids = "s1s2";
  streams.setIds(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(ids.data()), ids.size()));
  auto ends = streams.initIdEnds(2);
  ends.set(0, 2);
  ends.set(1, 4);
  streams.initTenant(2);
  auto load = streams.initLoad(2);
  load.set(0, 1);
  load.set(1, 1);
  auto owner = streams.initOwner(2);
  owner.set(1, 1);
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, message);
  auto array = out.getArray();
  Snapshot s = decode_snapshot(std::string(reinterpret_cast<const char*>(array.begin()), array.size()));
  finish(s);
  EXPECT_EQ(s.stream_count(), 2u);
  EXPECT_TRUE(s.holder.empty());
  EXPECT_TRUE(s.token.empty());
  EXPECT_EQ(s.servers->incarnation_of(0), 0u);
  EXPECT_EQ(s.servers->incarnation_of(1), 0u);

  capnp::MallocMessageBuilder info_message;
  auto info = info_message.initRoot<schema_v1::Server>();
  info.setCapacity(2.5);
  info.setState(schema_v1::Server::State::DRAINING);
  auto words = capnp::messageToFlatArray(info_message);
  auto bytes = words.asBytes();
  ServerInfo old = decode_server_info(std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
  EXPECT_EQ(old.capacity, 2.5);
  EXPECT_EQ(old.state, BERTH_SERVER_DRAINING);
  EXPECT_EQ(old.incarnation, 0u);
}

TEST(SnapshotOwnershipCodec, ServerInfoCarriesTheIncarnation) {
  ServerInfo info{3.0, BERTH_SERVER_UP, {{"zone", "eu-1"}}, 0xfedcba9876543210ull};
  ServerInfo back = decode_server_info(encode_server_info(info));
  EXPECT_EQ(back.incarnation, info.incarnation);
  EXPECT_EQ(back.capacity, 3.0);
  EXPECT_EQ(back.labels, info.labels);
}

// finish_snapshot on `s` after `edit`: the message of the error, or "" when it passed.
std::string refusal(const std::function<void(Snapshot&)>& edit) {
  Snapshot s = held_sample();
  edit(s);
  try {
    finish(s);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << e.what();
    return e.what();
  }
}

TEST(SnapshotOwnershipCodec, FinishRefusesHolderAndTokenColumnsThatDisagree) {
  EXPECT_EQ(refusal([](Snapshot&) {}), "");
  EXPECT_NE(refusal([](Snapshot& s) { s.token.clear(); }).find("200 holders and 0 tokens for 200 streams"),
            std::string::npos);
  EXPECT_NE(refusal([](Snapshot& s) {
              s.holder.pop_back();
              s.token.pop_back();
            }).find("199 holders"),
            std::string::npos);
  EXPECT_NE(refusal([](Snapshot& s) { s.holder[7] = 4; }).find("stream 'stream-7' is held by server #4 of 4"),
            std::string::npos);
  EXPECT_NE(refusal([](Snapshot& s) { s.token[10] = 5; }).find("stream 'stream-10' is held by nobody but has token 5"),
            std::string::npos);
  EXPECT_NE(refusal([](Snapshot& s) { s.token[12] = 0; }).find("stream 'stream-12' is held by server 'srv-1000' with token 0"),
            std::string::npos);
}

// Decoded and finished: the message of the error, or "" when the bytes passed.
std::string read_refusal(const std::string& bytes) {
  try {
    Snapshot s = decode_snapshot(bytes);
    finish(s);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << e.what();
    return e.what();
  }
}

TEST(SnapshotOwnershipCodec, DecodingRefusesHostileHolderAndTokenLists) {
  Snapshot s = held_sample();
  finish(s);
  const std::string bytes = encode_snapshot(s);
  auto edit = [&](const std::function<void(schema::Streams::Builder)>& change) {
    return read_refusal(edited(bytes, [&](schema::Snapshot::Builder root) { change(root.getStreams()); }));
  };
  EXPECT_NE(edit([](auto c) { c.initTokenIndex(0); c.initTokenTable(0); }).find("holders without tokens"),
            std::string::npos);
  EXPECT_NE(edit([](auto c) { c.setHoldersAreOwners(false); }).find("lists holder exceptions"), std::string::npos);
  EXPECT_NE(edit([](auto c) { c.getTokenIndex().set(17, 9); }).find("stream 'stream-17' names token #9 of a table of 4"),
            std::string::npos);
  EXPECT_NE(edit([](auto c) { c.getHolderExceptionIndex().set(1, 3); }).find("the list must ascend"), std::string::npos);
  EXPECT_NE(edit([](auto c) { c.getHolderExceptionServer().set(0, 9); }).find("stream 'stream-3' is held by server #9"),
            std::string::npos);
  // The token table rewritten so that stream 10 (nobody) reads a token: refused by the stream's name.
  EXPECT_NE(edit([](auto c) {
              auto table = c.getTokenTable();
              for (unsigned v = 0; v < table.size(); ++v)
                if (table[v] == 0) table.set(v, 99);
            }).find("stream 'stream-10' is held by nobody but has token 99"),
            std::string::npos);
  EXPECT_NE(edit([](auto c) { c.initToken(3); }).find("both a token list and a token table"), std::string::npos);
}

}  // namespace
}  // namespace berth::test
