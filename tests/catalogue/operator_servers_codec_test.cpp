// Operator entries survive full snapshots and deltas, and bytes that carry bad ones are refused.
#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include <limits>

#include "berth/snapshot.capnp.h"
#include "common/error.h"
#include "common/hash.h"
#include "snapshot/codec.h"
#include "snapshot/delta_codec.h"
#include "snapshot/operator_servers.h"

namespace berth {
namespace {

Snapshot sample(uint64_t version, uint64_t streams) {
  Snapshot s;
  s.meta = Provenance{version, 1, "least_load", 1, 0, 1700000000000, "node-a"};
  auto sc = std::make_shared<ServerColumns>();
  for (const char* id : {"a", "b", "c"}) {
    sc->ids.push_back(id);
    sc->capacity.push_back(1.0);
    sc->state.push_back(BERTH_SERVER_UP);
  }
  auto st = std::make_shared<StreamColumns>();
  st->tenants.push_back("");
  for (uint64_t i = 0; i < streams; ++i) {
    std::string id = "s" + std::to_string(i);
    st->ids.push_back(id);
    st->hash.push_back(stream_hash(id));
    st->tenant.push_back(0);
    s.load.push_back(1.0f);
    s.owner.push_back(static_cast<uint32_t>(i % 3));
  }
  s.servers = sc;
  s.streams = st;
  return s;
}

std::shared_ptr<const OperatorServers> entries() {
  auto o = std::make_shared<OperatorServers>();
  OperatorServer a;
  a.id = "a";
  a.capacity = 2.5;
  a.state = BERTH_SERVER_READ_ONLY;
  OperatorServer r;
  r.id = "registered-1";
  r.registered = true;
  r.labels = parse_labels("zone=z,ssd");
  OperatorServer u;
  u.id = "unlabelled";
  u.labels = Labels{};
  o->servers = {a, r, u};
  return o;
}

TEST(OperatorServersCodec, FullSnapshotCarriesEveryPart) {
  Snapshot in = sample(3, 10);
  in.operator_servers = entries();
  Snapshot out = decode_snapshot(encode_snapshot(in));
  ASSERT_TRUE(out.operator_servers);
  EXPECT_EQ(*out.operator_servers, *in.operator_servers);
  EXPECT_TRUE(out.operator_servers->servers[2].labels.has_value()) << "labels set to none differ from labels not set";
  EXPECT_FALSE(decode_snapshot(encode_snapshot(sample(3, 10))).operator_servers) << "none written, none read";
}

TEST(OperatorServersCodec, DeltaHeadCarriesThem) {
  auto names = std::make_shared<ServerNames>();
  Snapshot base = sample(3, 10);
  finish_snapshot(base, nullptr, names);
  Snapshot next = sample(4, 12);
  next.operator_servers = entries();
  finish_snapshot(next, nullptr, names, &base);
  auto bytes = encode_delta(base, next, size_t{1} << 20);
  ASSERT_TRUE(bytes);
  Snapshot read = apply_delta(bare_copy(base), decode_delta(*bytes));
  ASSERT_TRUE(read.operator_servers);
  EXPECT_EQ(*read.operator_servers, *next.operator_servers);

  // And a delta from a version with entries to one without drops them.
  Snapshot after = sample(5, 12);
  finish_snapshot(after, nullptr, names, &next);
  auto cleared = encode_delta(next, after, size_t{1} << 20);
  ASSERT_TRUE(cleared);
  EXPECT_FALSE(apply_delta(bare_copy(next), decode_delta(*cleared)).operator_servers);
}

void expect_corrupt(const Snapshot& s, const std::string& names_server) {
  try {
    decode_snapshot(encode_snapshot(s));
    ADD_FAILURE() << "decoded bytes with a bad operator entry for " << names_server;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << e.what();
    EXPECT_NE(std::string(e.what()).find(names_server), std::string::npos) << e.what();
  }
}

TEST(OperatorServersCodec, BadEntriesAreCorruptAndNamed) {
  auto with = [](std::vector<OperatorServer> list) {
    Snapshot s = sample(3, 4);
    auto o = std::make_shared<OperatorServers>();
    o->servers = std::move(list);
    s.operator_servers = o;
    return s;
  };
  OperatorServer x;
  x.id = "x";
  x.registered = true;
  OperatorServer y = x;
  y.id = "y";
  expect_corrupt(with({x, x}), "'x'");         // duplicate
  expect_corrupt(with({y, x}), "'x'");         // unsorted
  OperatorServer cap = x;
  cap.capacity = 0;
  expect_corrupt(with({cap}), "'x'");
  cap.capacity = std::numeric_limits<double>::quiet_NaN();
  expect_corrupt(with({cap}), "'x'");
  cap.capacity = -3;
  expect_corrupt(with({cap}), "'x'");
  OperatorServer nothing;
  nothing.id = "empty-entry";
  expect_corrupt(with({nothing}), "'empty-entry'");
  OperatorServer no_id;
  no_id.registered = true;
  expect_corrupt(with({no_id}), "empty");
}

// Bytes written by something other than this encoder: an unknown state, a bad label.
TEST(OperatorServersCodec, HostileStateAndLabelsAreCorrupt) {
  Snapshot s = sample(3, 4);
  s.operator_servers = entries();
  std::string bytes = encode_snapshot(s);
  auto rewrite = [&](auto edit) {
    kj::ArrayInputStream in(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    capnp::PackedMessageReader reader(in);
    capnp::MallocMessageBuilder builder;
    builder.setRoot(reader.getRoot<schema::Snapshot>());
    edit(builder.getRoot<schema::Snapshot>().getOperatorServers());
    kj::VectorOutputStream out;
    capnp::writePackedMessage(out, builder);
    return std::string(reinterpret_cast<const char*>(out.getArray().begin()), out.getArray().size());
  };
  std::string state = rewrite([](auto list) { list[0].setState(static_cast<schema::Server::State>(7)); });
  try {
    decode_snapshot(state);
    ADD_FAILURE() << "an unknown state decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
  }
  std::string label = rewrite([](auto list) { list[1].getLabels()[0].setKey("-bad key"); });
  try {
    decode_snapshot(label);
    ADD_FAILURE() << "a bad label decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("registered-1"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(decode_snapshot(rewrite([](auto) {}))) << "the rewrite alone changes nothing";
}

}  // namespace
}  // namespace berth
