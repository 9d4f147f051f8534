// A backend built against ABI 1.0 (its function table ends at drain) takes full snapshots only:
// the host sees no delta functions, reads every version as self-contained, and never asks it to
// keep a base.
#include <gtest/gtest.h>

#include "common/error.h"
#include "plugin/loader.h"
#include "snapshot/checkpoints.h"
#include "snapshot/delta_fixture.h"

namespace berth::test {
namespace {

// The memory backend as a plugin built against ABI 1.0 would present it to the host: the loader
// zero-fills whatever lies past the struct_size a plugin declares.
std::shared_ptr<const LoadedPlugin> as_abi_1_0(const LoadedPlugin& real) {
  auto old = std::make_shared<LoadedPlugin>();
  old->path = real.path;
  old->kind = real.kind;
  old->name = real.name;
  old->abi_major = 1;
  old->abi_minor = 0;
  old->host = real.host;
  old->backend = real.backend;
  old->backend.struct_size = BERTH_SIZE_THROUGH(berth_backend_functions, drain);
  old->backend.publish_based = nullptr;
  old->backend.fetch_latest = nullptr;
  old->backend.fetch_version = nullptr;
  old->backend.peek_intake = nullptr;
  old->backend.settle_intake = nullptr;
  return old;
}

TEST(OldBackend, ABackendWithoutDeltaFunctionsGetsFullSnapshotsOnly) {
  PluginRegistry registry;
  auto memory = registry.load(BERTH_PLUGIN_BACKEND, "memory");
  Backend backend(as_abi_1_0(*memory), PluginConfig("backend", {{"cluster", "old-backend-test", "test"}}), nullptr);
  EXPECT_FALSE(backend.supports_deltas());
  EXPECT_FALSE(backend.supports_intake_keys());

  // The leader's choice: a checkpoint is held and the change is tiny, yet the publication is full.
  Checkpoints checkpoints(CheckpointPolicy{});
  Snapshot v1 = make_snapshot(1, make_servers(server_ids(2)), stream_ids(5000));
  finish(v1);
  Checkpoints::Publication first = checkpoints.prepare(v1, backend.supports_deltas());
  EXPECT_EQ(first.base_version, 0u);
  checkpoints.published(v1, first);
  Snapshot v2 = next_version(v1, 2);
  v2.owner[0] = 1 - v2.owner[0];
  finish(v2, &v1);
  EXPECT_EQ(checkpoints.prepare(v2, false).base_version, 0u) << "no deltas for a backend that cannot keep a base";
  EXPECT_NE(checkpoints.prepare(v2, true).base_version, 0u) << "...which one that can would get";

  backend.campaign();
  uint64_t epoch = backend.leadership().epoch;
  backend.publish_based(epoch, 1, 0, first.bytes);  // a self-contained version goes through publish()
  Backend::Latest latest = backend.fetch_latest(0);
  EXPECT_EQ(latest.version, 1u);
  EXPECT_EQ(latest.base_version, 0u);
  EXPECT_EQ(latest.bytes, first.bytes);
  try {
    backend.publish_based(epoch, 2, 1, "a delta");
    ADD_FAILURE() << "a delta was handed to a backend without deltas";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_STATE);
  }
  try {
    backend.fetch_version(1);
    ADD_FAILURE() << "fetch_version answered without the function";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_NOT_FOUND);
  }
}

}  // namespace
}  // namespace berth::test
