// Cap'n Proto's append-only evolution, checked: a snapshot written with the schema as first
// published (schema_v1/, a frozen copy) is read by today's decoder with nothing it models lost
// (server labels included). The catalogue fields that schema already had (a stream's MIGRATING
// status, its read locations) read back as written through today's schema; today's decoder has
// no place for them, so a snapshot it decodes and encodes again marks every stream active.
#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include <cstring>
#include <string>

#include "common/error.h"
#include "plugin/loader.h"
#include "berth/snapshot.capnp.h"
#include "engine/snapshot_policies.h"
#include "snapshot/codec.h"
#include "snapshot_v1.capnp.h"

namespace berth {
namespace {

void set_text(capnp::Text::Builder into, const std::string& text) { std::memcpy(into.begin(), text.data(), text.size()); }

// A small snapshot exactly as a leader built on the first schema wrote it (codec.cpp at 3200b4e):
// packed, servers sorted, stream columns, with every optional part of that schema filled in.
std::string write_with_v1_schema() {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema_v1::Snapshot>();
  root.setVersion(41);
  root.setEpoch(7);
  root.setPolicy("sticky");
  root.setBehaviourVersion(3);
  root.setRulesHash(0xfeedu);
  root.setCreatedUnixMs(1767225600000);
  root.setLeader("proxy-7:8080");
  auto servers = root.initServers(3);
  const char* ids[] = {"srv-a", "srv-b", "srv-c"};
  for (unsigned j = 0; j < 3; ++j) {
    set_text(servers[j].initId(static_cast<unsigned>(std::strlen(ids[j]))), ids[j]);
    servers[j].setCapacity(1.0 + j);
  }
  servers[1].setState(schema_v1::Server::State::DRAINING);
  servers[2].setState(schema_v1::Server::State::READ_ONLY);
  auto labels = servers[0].initLabels(1);
  labels[0].setKey("zone");
  labels[0].setValue("eu-1");
  auto tenants = root.initTenants(2);
  tenants.set(0, "");
  tenants.set(1, "tenant-x");
  auto streams = root.initStreams();
  const std::string id_bytes = "log/alog/bbtenant-x/q";
  streams.setIds(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(id_bytes.data()), id_bytes.size()));
  const uint32_t ends[] = {5, 11, 21}, tenant[] = {0, 0, 1}, owner[] = {2, 0, 1};
  const float load[] = {0.5f, 2.0f, 7.25f};
  auto e = streams.initIdEnds(3);
  auto t = streams.initTenant(3);
  auto l = streams.initLoad(3);
  auto o = streams.initOwner(3);
  for (unsigned i = 0; i < 3; ++i) {
    e.set(i, ends[i]);
    t.set(i, tenant[i]);
    l.set(i, load[i]);
    o.set(i, owner[i]);
  }
  auto status = streams.initStatus(3);
  status.set(1, schema_v1::StreamStatus::MIGRATING);
  // Stream 1 migrates onto its owner srv-a: it is read from srv-c, where it was, and srv-a.
  auto read_locations = streams.initReadLocations(3);
  auto migrating = read_locations.init(1, 2);
  migrating.set(0, 2);
  migrating.set(1, 0);
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, message);
  auto bytes = out.getArray();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

TEST(PreviousSchema, TodaysDecoderReadsASnapshotWrittenWithTheFirstSchema) {
  Snapshot s = decode_snapshot(write_with_v1_schema());
  EXPECT_EQ(s.meta.version, 41u);
  EXPECT_EQ(s.meta.epoch, 7u);
  EXPECT_EQ(s.meta.policy, "sticky");
  EXPECT_EQ(s.meta.behaviour_version, 3u);
  EXPECT_EQ(s.meta.rules_hash, 0xfeedu);
  EXPECT_EQ(s.meta.created_unix_ms, 1767225600000);
  EXPECT_EQ(s.meta.leader, "proxy-7:8080");
  ASSERT_EQ(s.server_count(), 3u);
  EXPECT_EQ(s.servers->ids.at(0), "srv-a");
  EXPECT_EQ(s.servers->ids.at(2), "srv-c");
  EXPECT_EQ(s.servers->capacity[1], 2.0);
  EXPECT_EQ(s.servers->state[0], BERTH_SERVER_UP);
  EXPECT_EQ(s.servers->state[1], BERTH_SERVER_DRAINING);
  EXPECT_EQ(s.servers->state[2], BERTH_SERVER_READ_ONLY);
  ASSERT_EQ(s.servers->labels_of(0).size(), 1u);
  EXPECT_EQ(s.servers->labels_of(0)[0].first, "zone");
  EXPECT_EQ(s.servers->labels_of(0)[0].second, "eu-1");
  EXPECT_TRUE(s.servers->labels_of(1).empty());
  ASSERT_EQ(s.stream_count(), 3u);
  EXPECT_EQ(s.streams->ids.at(0), "log/a");
  EXPECT_EQ(s.streams->ids.at(1), "log/bb");
  EXPECT_EQ(s.streams->ids.at(2), "tenant-x/q");
  EXPECT_EQ(s.streams->tenants.at(s.streams->tenant[2]), "tenant-x");
  EXPECT_EQ(s.streams->tenants.at(s.streams->tenant[0]), "");
  EXPECT_EQ(s.load[2], 7.25f);
  EXPECT_EQ(s.owner[0], 2u);
  EXPECT_EQ(s.owner[2], 1u);
}

TEST(PreviousSchema, TodaysSchemaReadsTheFirstSchemasMigratingStatusAndReadLocationsAsWritten) {
  const std::string bytes = write_with_v1_schema();
  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  capnp::PackedMessageReader message(input);
  auto streams = message.getRoot<schema::Snapshot>().getStreams();
  ASSERT_EQ(streams.getStatus().size(), 3u);
  EXPECT_EQ(streams.getStatus()[0], schema::StreamStatus::ACTIVE);
  EXPECT_EQ(streams.getStatus()[1], schema::StreamStatus::MIGRATING);
  EXPECT_EQ(streams.getStatus()[2], schema::StreamStatus::ACTIVE);
  ASSERT_EQ(streams.getReadLocations().size(), 3u);
  EXPECT_EQ(streams.getReadLocations()[0].size(), 0u);
  ASSERT_EQ(streams.getReadLocations()[1].size(), 2u);
  EXPECT_EQ(streams.getReadLocations()[1][0], 2u) << "srv-c";
  EXPECT_EQ(streams.getReadLocations()[1][1], 0u) << "srv-a";
  EXPECT_EQ(streams.getReadLocations()[2].size(), 0u);
}

TEST(PreviousSchema, ADecodedSnapshotEncodedAgainMarksEveryStreamActive) {
  // berth::Snapshot has no stream status or read locations (the catalogue is not built), so
  // decoding drops them and encoding writes neither: every stream then reads as active.
  Snapshot s = decode_snapshot(write_with_v1_schema());
  std::string bytes = encode_snapshot(s);
  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  capnp::PackedMessageReader message(input);
  auto streams = message.getRoot<schema::Snapshot>().getStreams();
  EXPECT_EQ(streams.getIdEnds().size(), 3u);
  EXPECT_FALSE(streams.hasStatus()) << "empty status: every stream active";
  EXPECT_FALSE(streams.hasReadLocations());
}

TEST(PreviousSchema, TodaysEncoderStillWritesWhatTheFirstSchemaReads) {
  // The other direction of append-only evolution: a node not yet upgraded reads a new full
  // snapshot. Decode today's bytes with the first schema and compare the fields it knows.
  Snapshot s = decode_snapshot(write_with_v1_schema());
  std::string bytes = encode_snapshot(s);
  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  capnp::PackedMessageReader message(input);
  auto old = message.getRoot<schema_v1::Snapshot>();
  EXPECT_EQ(old.getVersion(), 41u);
  EXPECT_EQ(std::string(old.getLeader().cStr()), "proxy-7:8080");
  ASSERT_EQ(old.getServers().size(), 3u);
  EXPECT_EQ(old.getServers()[1].getState(), schema_v1::Server::State::DRAINING);
  auto streams = old.getStreams();
  ASSERT_EQ(streams.getIdEnds().size(), 3u);
  EXPECT_EQ(streams.getIdEnds()[2], 21u);
  EXPECT_EQ(streams.getOwner()[0], 2u);
  EXPECT_EQ(streams.getLoad()[2], 7.25f);
}

TEST(PreviousSchema, AFirstSchemaReaderCannotMistakeImplicitOwnersForAnAssignment) {
  // Owners left implicit (a hash snapshot) are an empty owner list under the first schema: its
  // decoder, which required one owner per id, refuses the snapshot instead of misreading it.
  PluginRegistry registry;
  auto hash = std::make_shared<const Policy>(registry.load(BERTH_PLUGIN_POLICY, "hash"), PluginConfig("policy", {}));
  Snapshot s = decode_snapshot(write_with_v1_schema());
  s.meta.policy = "hash";
  s.meta.behaviour_version = hash->behaviour_version();
  auto servers = std::make_shared<ServerColumns>(*s.servers);
  servers->state.assign(servers->size(), BERTH_SERVER_UP);
  s.servers = servers;
  hash->default_owners(s.servers->view(), s.stream_count(), s.streams->hash.data(), s.owner.data());
  std::optional<OwnerDefaults> defaults = owner_defaults(hash);
  ASSERT_TRUE(defaults.has_value());
  std::string bytes = encode_snapshot(s, &*defaults);

  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  capnp::PackedMessageReader message(input);
  auto streams = message.getRoot<schema_v1::Snapshot>().getStreams();
  EXPECT_EQ(streams.getIdEnds().size(), 3u);
  EXPECT_EQ(streams.getOwner().size(), 0u) << "no owner list for the first schema to misread";
}

}  // namespace
}  // namespace berth
