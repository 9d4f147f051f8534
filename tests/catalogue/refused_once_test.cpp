// An intake record the leader refuses is counted in intake_rejected once, however often the
// refresh that reads it is built: here the first refresh fails (every server left), the records go
// back to pending, and the refresh after the servers return refuses them again.
#include <gtest/gtest.h>

#include <limits>

#include "engine/engine_fixture.h"
#include "engine/intake.h"
#include "plugin/loader.h"
#include "snapshot/operator_servers.h"

namespace berth::testing {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class RefusedOnce : public ClusterFixture {};

TEST_F(RefusedOnce, ARefusedOperatorRecordIsCountedOnceWhenItsRefreshFailsAndIsBuiltAgain) {
  start(1);
  add_servers(2);
  add_streams(10);
  refresh_and_converge();
  Engine& l = leader();
  const uint64_t rejected_before = l.metrics().intake_rejected;
  const uint64_t failed_before = l.metrics().refresh_failed;

  Options o;
  o.set("backend.name", "memory");
  o.set("backend.cluster", cluster_);
  EngineOptions resolved = o.resolve();
  PluginRegistry registry;
  Backend raw(registry.load(BERTH_PLUGIN_BACKEND, resolved.backend.name), resolved.backend.config, nullptr);
  ServerChange bad;
  bad.id = "server-0";
  bad.fields = kServerSetCapacity;
  bad.capacity = 1.0;
  std::string batch;
  append_intake(batch, IntakeOp::server_set, "server-0", server_change_payload(bad), -4.0);  // capacity <= 0
  append_intake(batch, IntakeOp::server_set, "server-1", std::string("\x40\0", 2), kNaN);   // unknown field
  raw.submit(batch);

  fleet_->leave("server-0");
  fleet_->leave("server-1");
  EXPECT_THROW(l.refresh(), Error) << "no server: the refresh that read the records fails";
  EXPECT_THROW(l.refresh(), Error) << "and again";
  // The engine retries a failed refresh on its own too: at least these two failed.
  EXPECT_GE(l.metrics().refresh_failed, failed_before + 2);
  EXPECT_EQ(l.metrics().intake_rejected, rejected_before) << "no version took the records yet";

  add_servers(2);
  refresh_and_converge();
  EXPECT_EQ(l.metrics().intake_rejected, rejected_before + 2) << "each refused record counted once";
  refresh_and_converge();
  EXPECT_EQ(l.metrics().intake_rejected, rejected_before + 2) << "settled records are not heard again";
}

}  // namespace
}  // namespace berth::testing
