// Implicit owners (ABI 1.2): a snapshot of a policy with default owners (`hash`: first hash
// choices) stores only the streams off them, and a reader rebuilds the rest with the same policy.
// Real plugins throughout: the hash policy places a skewed workload, so some streams are off
// their first choice and both halves of the encoding are exercised.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "common/error.h"
#include "engine/refresh.h"
#include "plugin/loader.h"
#include "engine/snapshot_policies.h"
#include "snapshot/schema_edit.h"
#include "snapshot/codec.h"
#include "tools/workload.h"

namespace berth {
namespace {

std::shared_ptr<const ServerColumns> servers_of(uint32_t count) {
  auto servers = std::make_shared<ServerColumns>();
  for (const std::string& id : make_server_ids(count)) {
    servers->ids.push_back(id);
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
  }
  return servers;
}



using test::edited;

bool implicit_in(const std::string& bytes) { return test::stored_exceptions(bytes) >= 0; }

class ImplicitOwners : public ::testing::Test {
 protected:
  void SetUp() override {
    hash_ = load("hash");
    // Zipf loads: heavy streams fill their first choices, so bounded loads sends some elsewhere.
    Workload w = make_workload(20000, LoadDistribution::zipf, 5);
    PendingChanges pending;
    for (size_t i = 0; i < w.stream_ids.size(); ++i)
      pending.apply(IntakeRecord{IntakeOp::add, w.stream_ids[i], i % 3 ? "" : "tenant-a", w.loads[i]});
    Appraiser appraiser(registry_.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
    placed_ = compute_refresh(nullptr, servers_of(50), pending, appraiser, *hash_, Provenance{}, names_).snapshot;
    std::vector<uint32_t> defaults(placed_->stream_count());
    hash_->default_owners(placed_->servers->view(), defaults.size(), placed_->streams->hash.data(), defaults.data());
    for (uint64_t i = 0; i < defaults.size(); ++i) exceptions_ += defaults[i] != placed_->owner[i] ? 1 : 0;
  }

  std::shared_ptr<const Policy> load(const std::string& name) {
    return std::make_shared<const Policy>(registry_.load(BERTH_PLUGIN_POLICY, name), PluginConfig("policy", {}));
  }
  PolicyFinder finder() { return policies_.finder(); }
  const OwnerDefaults* hash_defaults() {
    if (!hash_defaults_) hash_defaults_ = owner_defaults(hash_);
    return &*hash_defaults_;
  }

  PluginRegistry registry_;
  SnapshotPolicies policies_{registry_, nullptr};
  std::shared_ptr<ServerNames> names_ = std::make_shared<ServerNames>();
  std::shared_ptr<const Policy> hash_;
  std::optional<OwnerDefaults> hash_defaults_;
  std::shared_ptr<const Snapshot> placed_;
  uint64_t exceptions_ = 0;
};

TEST_F(ImplicitOwners, HashSnapshotsStoreOnlyTheExceptionsAndReadBackWhole) {
  ASSERT_GT(exceptions_, 0u) << "the workload must put some streams off their first choice";
  ASSERT_LT(exceptions_, placed_->stream_count() / 4);

  const std::string implicit = encode_snapshot(*placed_, hash_defaults());
  const std::string every = encode_snapshot(*placed_);
  EXPECT_TRUE(implicit_in(implicit));
  EXPECT_FALSE(implicit_in(every));
  EXPECT_LT(implicit.size(), every.size());

  Snapshot read = decode_snapshot(implicit, finder());
  EXPECT_EQ(read.owner, placed_->owner);
  EXPECT_EQ(read.load, placed_->load);
  EXPECT_EQ(read.streams->ids.arena, placed_->streams->ids.arena);
  EXPECT_EQ(read.meta.policy, "hash");
  finish_snapshot(read, hash_.get(), names_);  // and it is a valid snapshot

  // The assignment's share: a few bytes per exception, against a whole owner column.
  const size_t state = assignment_bytes(*placed_, hash_defaults());
  EXPECT_LT(static_cast<double>(state), 12.0 * static_cast<double>(exceptions_) + 64);
  EXPECT_GT(assignment_bytes(*placed_, nullptr), state);
}

TEST_F(ImplicitOwners, PoliciesWithoutDefaultOwnersStoreEveryOwner) {
  auto sticky = load("sticky");
  EXPECT_FALSE(sticky->has_default_owners());
  Snapshot as_sticky = *placed_;
  as_sticky.meta.policy = "sticky";
  as_sticky.meta.behaviour_version = sticky->behaviour_version();
  EXPECT_FALSE(owner_defaults(sticky).has_value());
  const std::string bytes = encode_snapshot(as_sticky);
  EXPECT_FALSE(implicit_in(bytes));
  EXPECT_EQ(decode_snapshot(bytes).owner, placed_->owner) << "explicit owners need no policy to read";
}

TEST_F(ImplicitOwners, OnlyTheSnapshotsOwnPolicyLeavesOwnersImplicit) {
  Snapshot other = *placed_;
  other.meta.behaviour_version += 1;  // as if placed by another version of hash
  EXPECT_FALSE(implicit_in(encode_snapshot(other, hash_defaults())));
  other = *placed_;
  other.meta.policy = "least_load";
  EXPECT_FALSE(implicit_in(encode_snapshot(other, hash_defaults())));
}

TEST_F(ImplicitOwners, MostlyOffTheirDefaultsStoresEveryOwner) {
  Snapshot shifted = *placed_;
  for (uint32_t& o : shifted.owner) o = (o + 1) % shifted.server_count();  // nobody on a first choice
  const std::string bytes = encode_snapshot(shifted, hash_defaults());
  EXPECT_FALSE(implicit_in(bytes));
  EXPECT_EQ(decode_snapshot(bytes).owner, shifted.owner);
}

TEST_F(ImplicitOwners, AReaderWithoutThePolicyRefusesClearly) {
  const std::string bytes = encode_snapshot(*placed_, hash_defaults());
  try {
    decode_snapshot(bytes);
    FAIL() << "decoded implicit owners without a policy";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("policy 'hash' (behaviour version"), std::string::npos) << e.what();
  }
  auto expect_corrupt = [&](const std::string& hostile, const PolicyFinder& find, const char* why) {
    try {
      decode_snapshot(hostile, find);
      ADD_FAILURE() << why << ": decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << why << ": " << e.what();
    }
  };
  expect_corrupt(edited(bytes, [](schema::Snapshot::Builder s) { s.setPolicy("no_such_policy"); }), finder(),
                 "a policy not installed");
  expect_corrupt(edited(bytes, [](schema::Snapshot::Builder s) { s.setBehaviourVersion(s.getBehaviourVersion() + 7); }),
                 finder(), "another behaviour version may rebuild other owners");
  expect_corrupt(edited(bytes, [](schema::Snapshot::Builder s) { s.setPolicy("sticky"); }), finder(),
                 "a policy without default owners");
  expect_corrupt(bytes, [](const std::string&, uint32_t) -> std::optional<OwnerDefaults> {
    throw Error(BERTH_E_PLUGIN, "the finder itself failed");
  }, "a failing finder is still the bytes' error to the reader");
}

TEST_F(ImplicitOwners, ReadOnlyAndDrainingServersReadBackWhole) {
  // Server 3 turns read-only and server 7 drains: a refresh moves the streams of both onto the
  // ring (a sealed server takes no writes: docs/catalogue.md).
  auto servers = std::make_shared<ServerColumns>(*placed_->servers);
  servers->state[3] = BERTH_SERVER_READ_ONLY;
  servers->state[7] = BERTH_SERVER_DRAINING;
  Appraiser appraiser(registry_.load(BERTH_PLUGIN_APPRAISER, "reported"), PluginConfig("appraiser", {}));
  auto next = compute_refresh(placed_.get(), servers, PendingChanges{}, appraiser, *hash_, Provenance{}, names_).snapshot;
  ASSERT_EQ(next->server_streams[3], 0u);
  ASSERT_EQ(next->server_streams[7], 0u);
  std::string bytes = encode_snapshot(*next, hash_defaults());
  ASSERT_TRUE(implicit_in(bytes));
  EXPECT_EQ(decode_snapshot(bytes, finder()).owner, next->owner);

  // A version in which the read-only server still owns its streams (the one that sealed it, before
  // the next refresh moves them): they are all exceptions to a ring without it.
  Snapshot sealed = *next;
  sealed.servers = servers;
  sealed.owner = placed_->owner;
  sealed.table.reset();
  sealed.placer.reset();
  finish_snapshot(sealed, hash_.get(), names_);
  ASSERT_GT(sealed.server_streams[3], 0u);
  uint64_t stored = 0;
  bytes = encode_snapshot(sealed, hash_defaults(), &stored);
  ASSERT_TRUE(implicit_in(bytes));
  EXPECT_GE(stored, sealed.server_streams[3]) << "the read-only server's streams are all exceptions";
  EXPECT_EQ(decode_snapshot(bytes, finder()).owner, sealed.owner);
}

TEST_F(ImplicitOwners, APolicyFailingToGiveItsDefaultsGetsEveryOwnerWritten) {
  OwnerDefaults failing = *hash_defaults();
  failing.owners = [](const berth_server_set&, uint64_t, const uint64_t*, uint32_t*) {
    throw Error(BERTH_E_PLUGIN, "default_owners broke");
  };
  uint64_t stored = 0;
  const std::string bytes = encode_snapshot(*placed_, &failing, &stored);
  EXPECT_FALSE(implicit_in(bytes));
  EXPECT_EQ(stored, placed_->stream_count());
  EXPECT_EQ(decode_snapshot(bytes).owner, placed_->owner);
}

TEST_F(ImplicitOwners, MoreServersThanAnyClusterAreNeverLeftToARebuild) {
  // Each server costs a reader ~160 ring points: bytes may not make it build millions of them.
  Snapshot huge = *placed_;
  auto servers = std::make_shared<ServerColumns>();
  for (uint32_t j = 0; j < 70000; ++j) {
    servers->ids.push_back("s" + std::to_string(1000000 + j));
    servers->capacity.push_back(1.0);
    servers->state.push_back(BERTH_SERVER_UP);
  }
  huge.servers = servers;
  for (uint32_t& o : huge.owner) o = 0;
  const std::string bytes = encode_snapshot(huge, hash_defaults());
  EXPECT_FALSE(implicit_in(bytes)) << "written with every owner";
  const std::string hostile = edited(bytes, [](schema::Snapshot::Builder s) {
    s.getStreams().setOwnersImplicit(true);
    s.getStreams().disownOwner();
  });
  try {
    decode_snapshot(hostile, finder());
    FAIL() << "rebuilt the owners of 70000 servers";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("70000 servers"), std::string::npos) << e.what();
  }
}

TEST_F(ImplicitOwners, HostileExceptionListsAreRejected) {
  const std::string bytes = encode_snapshot(*placed_, hash_defaults());
  const uint32_t n = static_cast<uint32_t>(placed_->stream_count());
  auto expect_corrupt = [&](const char* what, const std::function<void(schema::Streams::Builder)>& edit) {
    const std::string hostile = edited(bytes, [&](schema::Snapshot::Builder s) { edit(s.getStreams()); });
    try {
      Snapshot s = decode_snapshot(hostile, finder());
      finish_snapshot(s, hash_.get(), names_);
      ADD_FAILURE() << what << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), BERTH_E_CORRUPT) << what << ": " << e.what();
    }
  };
  expect_corrupt("index past the streams", [&](schema::Streams::Builder s) { s.getExceptionIndex().set(0, n); });
  expect_corrupt("descending indices", [&](schema::Streams::Builder s) {
    auto index = s.getExceptionIndex();
    index.set(1, index[0]);
  });
  expect_corrupt("fewer owners than indices", [&](schema::Streams::Builder s) {
    s.initExceptionOwner(s.getExceptionIndex().size() - 1);
  });
  expect_corrupt("owner past the servers", [&](schema::Streams::Builder s) { s.getExceptionOwner().set(0, 50); });
  expect_corrupt("an owner list as well", [&](schema::Streams::Builder s) { s.initOwner(n); });
  expect_corrupt("owners missing without the flag", [&](schema::Streams::Builder s) { s.setOwnersImplicit(false); });
}

TEST_F(ImplicitOwners, StreamsWithNoDefaultOwnerMustBeExceptions) {
  // With every server draining there is no ring: no stream has a default owner.
  const std::string bytes = encode_snapshot(*placed_, hash_defaults());
  const std::string hostile = edited(bytes, [](schema::Snapshot::Builder s) {
    for (auto server : s.getServers()) server.setState(schema::Server::State::DRAINING);
  });
  try {
    decode_snapshot(hostile, finder());
    FAIL() << "accepted streams without owners";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_CORRUPT);
    EXPECT_NE(std::string(e.what()).find("has no owner"), std::string::npos) << e.what();
  }
}

TEST_F(ImplicitOwners, SnapshotPoliciesLoadOnlyPlainNamesAtTheirBehaviourVersion) {
  auto sticky = load("sticky");
  SnapshotPolicies policies(registry_, sticky);
  auto found = policies.find("hash", hash_->behaviour_version());
  ASSERT_NE(found, nullptr) << "a node running sticky can still read a hash cluster";
  EXPECT_TRUE(found->has_default_owners());
  EXPECT_EQ(policies.find("hash", hash_->behaviour_version() + 1), nullptr);
  EXPECT_EQ(policies.find("sticky", sticky->behaviour_version()), nullptr) << "no default owners";
  EXPECT_EQ(policies.find("no_such_policy", 1), nullptr);
  // A real plugin at a path named by the bytes is not loaded: names only, from the search path.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("berth-implicit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path copy = dir / "berth_policy_hash.so";
  std::filesystem::copy_file(hash_->plugin().path, copy, std::filesystem::copy_options::overwrite_existing);
  ASSERT_NE(std::make_shared<const Policy>(registry_.load(BERTH_PLUGIN_POLICY, copy.string()), PluginConfig()), nullptr)
      << "the copy itself loads";
  EXPECT_EQ(policies.find(copy.string(), hash_->behaviour_version()), nullptr);
  EXPECT_EQ(policies.find("../" + dir.filename().string() + "/berth_policy_hash", hash_->behaviour_version()), nullptr);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(policies.find("", 1), nullptr);

  SnapshotPolicies own(registry_, hash_);
  EXPECT_EQ(own.find("hash", hash_->behaviour_version()), hash_) << "the node's own policy, not a second copy";
}

}  // namespace
}  // namespace berth
