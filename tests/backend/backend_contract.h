// The contract every state backend (memory, file, zookeeper) must pass, unchanged.
//
// A test binary links berth_backend_contract and instantiates the suite for one backend, with a
// factory for the configuration of a cluster no other test shares:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, BackendContract,
//                            ::testing::Values(BackendUnderTest{"memory", [] { return ...; }}),
//                            backend_test_name);
//
// The tests load the real plugin through PluginRegistry and drive it through berth::Backend.
// They never assume a change is visible at once: an asynchronous backend (ZooKeeper) gets up to
// `settle` to show it, so the same tests hold for every backend.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "backend/watch_counter.h"
#include "plugin/instances.h"
#include "plugin/loader.h"

namespace berth::test {

struct BackendUnderTest {
  std::string plugin;  // the plugin name, e.g. "memory"; also names the instantiation's tests
  // The configuration entries (section "backend") of a cluster no other test uses. Called once
  // per test; every instance the test opens gets these same entries, so they share the cluster.
  std::function<std::vector<PluginConfig::Entry>()> fresh_cluster;
  // How long a change may take to show everywhere.
  std::chrono::milliseconds settle = std::chrono::seconds(10);
  // Operations per thread in the stress tests.
  int stress_rounds = 300;

  // An instance whose session a test can end without the instance's cooperation, as a crash or a
  // session expiry does: the configuration to open it with (the cluster's, adapted) and the call
  // that ends its session while the instance lives on. Every backend needs one: the lease tests
  // fail without it.
  struct Severable {
    std::vector<PluginConfig::Entry> entries;
    std::function<void(Backend& victim)> sever;
  };
  std::function<Severable(const std::vector<PluginConfig::Entry>& cluster)> severable;
  // Deletes every candidacy of `cluster` in the store, from outside the instances (an operator or
  // a tool). Null where the store keeps no candidacy anyone else can delete (memory); a backend that
  // sets it also instantiates BackendContractDeletedCandidacy.
  std::function<void(const std::vector<PluginConfig::Entry>& cluster)> delete_candidates;
  // Whether a member can vanish otherwise than by its session's end after its lease (deleted or
  // its session closed by someone else): then the lease's vanish wait must cover the lease.
  bool members_vanish_from_outside = false;
};

void PrintTo(const BackendUnderTest& backend, std::ostream* os);
std::string backend_test_name(const ::testing::TestParamInfo<BackendUnderTest>& info);

// A cluster name unique within this process, naming the running test: "<prefix>-<test>-<n>".
std::string unique_cluster_name(std::string_view prefix);

// What a failed call threw: its code (BERTH_OK when the call succeeded) and message.
struct Failure {
  int32_t code = BERTH_OK;
  std::string message;
};
Failure failure_of(const std::function<void()>& call);

class BackendContract : public ::testing::TestWithParam<BackendUnderTest> {
 protected:
  void SetUp() override;

  // A new backend instance of this test's cluster, reporting to `counter` when given.
  std::unique_ptr<Backend> open(const WatchCounter* counter = nullptr);
  // A new backend instance with this test's cluster entries plus `extra`.
  std::unique_ptr<Backend> open_with(const std::vector<PluginConfig::Entry>& extra, const WatchCounter* counter);

  // Campaigns (with no other candidate ahead), waits to lead, and returns the epoch.
  uint64_t lead(Backend& backend) const;

  // Drains `leader` until at least `count` records came (an asynchronous backend may hand them
  // over in batches), or `settle` runs out.
  std::vector<std::string> drain_until(Backend& leader, size_t count) const;

  // Polls `condition` until it holds or `settle` runs out.
  bool eventually(const std::function<bool()>& condition) const;
  std::chrono::milliseconds settle() const { return GetParam().settle; }

  // Convenience views of a backend, sorted so they compare simply.
  static std::vector<std::pair<std::string, std::string>> sorted_members(Backend& backend);
  static std::vector<std::string> member_ids(Backend& backend);

  PluginRegistry registry_;
  std::shared_ptr<const LoadedPlugin> plugin_;
  std::vector<PluginConfig::Entry> cluster_;
};

// The contract for stores where someone outside the instances can delete a candidacy (file,
// zookeeper): instantiated only for backends that set BackendUnderTest::delete_candidates.
class BackendContractDeletedCandidacy : public BackendContract {};

}  // namespace berth::test
