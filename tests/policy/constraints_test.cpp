// Placement constraints (ABI 1.1) through the real plugins, one suite run for each policy that
// honours them (sticky, least_load, weighted, hash): allowed servers are hard, preferred ones are
// taken when they have room, a class whose allowed servers are all down keeps its streams where
// they were, an unconstrained request is unchanged by an all-BERTH_NO_CLASS constraints struct,
// and malformed constraints are rejected with a message that names what is wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>

#include "common/error.h"
#include "constraints_fixture.h"

namespace berth::policy_test {
namespace {

std::shared_ptr<Policy> load_policy(const std::string& name) {
  PluginRegistry registry;
  return std::make_shared<Policy>(registry.load(BERTH_PLUGIN_POLICY, name), PluginConfig("policy", {}));
}

bool contains(const std::vector<uint32_t>& list, uint32_t server) {
  return std::binary_search(list.begin(), list.end(), server);
}

// `count` distinct servers out of `servers`, ascending.
std::vector<uint32_t> random_subset(std::mt19937_64& rng, uint32_t servers, uint32_t count) {
  std::vector<uint32_t> all(servers);
  for (uint32_t j = 0; j < servers; ++j) all[j] = j;
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(count);
  std::sort(all.begin(), all.end());
  return all;
}

// Random classes over `servers`: each allows 2..8 servers and prefers 0..2 of those.
std::vector<ClassServers> random_classes(std::mt19937_64& rng, uint32_t classes, uint32_t servers) {
  std::vector<ClassServers> out(classes);
  for (ClassServers& c : out) {
    c.allowed = random_subset(rng, servers, uniform(rng, 2, 8));
    std::vector<uint32_t> shuffled = c.allowed;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    shuffled.resize(uniform(rng, 0, 2));
    std::sort(shuffled.begin(), shuffled.end());
    c.preferred = shuffled;
  }
  return out;
}

class PolicyConstraints : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<Policy> policy_ = load_policy(GetParam());
};

TEST_P(PolicyConstraints, AllowedServersAreHardForEveryStream) {
  std::mt19937_64 rng(11);
  constexpr uint32_t kServers = 40, kClasses = 25;
  Servers servers = Servers::equal(kServers);
  Streams streams(4000);
  const std::vector<double> load = random_loads(rng, streams.count());
  const std::vector<ClassServers> classes = random_classes(rng, kClasses, kServers);
  std::vector<uint32_t> class_of(streams.count());
  for (uint32_t& c : class_of) c = uniform(rng, 0, 4) == 0 ? BERTH_NO_CLASS : uniform(rng, 0, kClasses - 1);
  Constraints constraints(class_of, classes);

  // From scratch, then from an unconstrained assignment that ignores every class.
  const std::vector<uint32_t> unconstrained = rebalance_with(*policy_, servers, streams, load, {}, nullptr);
  for (const std::vector<uint32_t>* previous : {static_cast<const std::vector<uint32_t>*>(nullptr), &unconstrained}) {
    const std::vector<uint32_t> owner =
        rebalance_with(*policy_, servers, streams, load, previous ? *previous : std::vector<uint32_t>{}, &constraints.view());
    for (uint64_t i = 0; i < streams.count(); ++i) {
      ASSERT_LT(owner[i], kServers) << "stream " << i;
      if (class_of[i] == BERTH_NO_CLASS) continue;
      ASSERT_TRUE(contains(classes[class_of[i]].allowed, owner[i]))
          << GetParam() << ": stream " << i << " of class " << class_of[i] << " on server " << owner[i]
          << (previous ? " (from a previous assignment)" : " (from scratch)");
    }
  }
}

TEST_P(PolicyConstraints, PreferredServersAreTakenWhenTheyHaveRoom) {
  // A few heavier streams of class 0 (allowed: servers 0..9, preferred: 3 and 7) among many light
  // unconstrained ones: the preferred servers have plenty of room by every policy's measure.
  constexpr uint32_t kServers = 20;
  Servers servers = Servers::equal(kServers);
  Streams streams(2010);
  std::vector<double> load(streams.count(), 1.0);
  std::vector<uint32_t> class_of(streams.count(), BERTH_NO_CLASS);
  for (uint64_t i = 0; i < 10; ++i) {
    class_of[i * 201] = 0;
    load[i * 201] = 2.0;
  }
  Constraints constraints(class_of, {ClassServers{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 7}}});
  const std::vector<uint32_t> owner = rebalance_with(*policy_, servers, streams, load, {}, &constraints.view());
  for (uint64_t i = 0; i < streams.count(); ++i) {
    if (class_of[i] != 0) continue;
    EXPECT_TRUE(owner[i] == 3 || owner[i] == 7) << GetParam() << ": stream " << i << " on " << owner[i];
  }
}

TEST_P(PolicyConstraints, AClassWhoseAllowedServersAreAllDownKeepsItsPreviousOwners) {
  constexpr uint32_t kServers = 10;
  Servers all_up = Servers::equal(kServers);
  Streams streams(1000);
  std::mt19937_64 rng(5);
  const std::vector<double> load = random_loads(rng, streams.count());
  std::vector<uint32_t> previous = rebalance_with(*policy_, all_up, streams, load, {}, nullptr);
  // Class 0 (every fifth stream) allows servers 1 and 2, which are now draining and read-only;
  // one of its streams had no owner before.
  std::vector<int32_t> state(kServers, BERTH_SERVER_UP);
  state[1] = BERTH_SERVER_DRAINING;
  state[2] = BERTH_SERVER_READ_ONLY;
  Servers servers(std::vector<double>(kServers, 1.0), state);
  std::vector<uint32_t> class_of(streams.count(), BERTH_NO_CLASS);
  for (uint64_t i = 0; i < streams.count(); i += 5) class_of[i] = 0;
  previous[500] = BERTH_NO_SERVER;
  Constraints constraints(class_of, {ClassServers{{1, 2}, {2}}});
  const std::vector<uint32_t> owner = rebalance_with(*policy_, servers, streams, load, previous, &constraints.view());
  for (uint64_t i = 0; i < streams.count(); i += 5) {
    if (i == 500) {
      EXPECT_TRUE(servers.up(owner[i])) << GetParam() << ": the ownerless stream is placed as if unconstrained";
    } else {
      EXPECT_EQ(owner[i], previous[i]) << GetParam() << ": stream " << i;
    }
  }
}

TEST_P(PolicyConstraints, AllNoClassConstraintsGiveTheUnconstrainedAssignment) {
  std::mt19937_64 rng(23);
  Servers servers(std::vector<double>{1.0, 2.0, 1.5, 1.0, 3.0, 1.0, 2.5, 1.0, 1.0, 2.0, 1.0, 1.0});
  Streams streams(3000);
  const std::vector<double> load = random_loads(rng, streams.count());
  Servers fewer(std::vector<double>{1.0, 2.0, 1.5, 1.0, 3.0, 1.0, 2.5, 1.0, 1.0, 2.0, 1.0});
  const std::vector<uint32_t> before = rebalance_with(*policy_, fewer, streams, load, {}, nullptr);
  Constraints none(std::vector<uint32_t>(streams.count(), BERTH_NO_CLASS), {});
  // From scratch, and after a join (with a previous assignment to keep or move).
  EXPECT_EQ(rebalance_with(*policy_, servers, streams, load, {}, nullptr),
            rebalance_with(*policy_, servers, streams, load, {}, &none.view()));
  EXPECT_EQ(rebalance_with(*policy_, servers, streams, load, before, nullptr),
            rebalance_with(*policy_, servers, streams, load, before, &none.view()));
}

// ----------------------------------------------------------------------------- bad input --

void expect_invalid(const Policy& policy, const Constraints& constraints, const Servers& servers,
                    const Streams& streams, const std::vector<std::string>& words) {
  const std::vector<double> load(streams.count(), 1.0);
  try {
    rebalance_with(policy, servers, streams, load, {}, &constraints.view());
    ADD_FAILURE() << "accepted constraints that should fail with: " << words.front();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), BERTH_E_INVALID_ARGUMENT) << e.what();
    for (const std::string& word : words) EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
  }
}

TEST_P(PolicyConstraints, ConstraintsOutOfBoundsAreRejectedWithAClearError) {
  Servers servers = Servers::equal(4);
  Streams streams(6);
  const std::vector<uint32_t> class_of{0, 1, BERTH_NO_CLASS, 0, 1, 1};
  const auto valid = [&] { return std::make_unique<Constraints>(class_of, std::vector<ClassServers>{{{0, 1}, {1}}, {{2, 3}, {}}}); };
  {
    auto c = valid();
    c->class_of()[4] = 7;
    expect_invalid(*policy_, *c, servers, streams, {"stream 'stream-4'", "class 7", "2 classes"});
  }
  {
    auto c = valid();
    c->allowed()[3] = 9;
    expect_invalid(*policy_, *c, servers, streams, {"class 1", "server index 9", "4 servers"});
  }
  {
    auto c = valid();
    std::swap(c->allowed()[0], c->allowed()[1]);
    expect_invalid(*policy_, *c, servers, streams, {"class 0", "not strictly ascending", "0 after 1"});
  }
  {
    auto c = valid();
    c->allowed_begin()[1] = 3;
    c->allowed_begin()[2] = 2;
    expect_invalid(*policy_, *c, servers, streams, {"class 1", "allowed_begin goes back from 3 to 2"});
  }
  {
    auto c = valid();
    c->preferred()[0] = 2;
    expect_invalid(*policy_, *c, servers, streams, {"class 0", "prefers server index 2", "does not allow"});
  }
  {
    Constraints empty_class(class_of, {{{0, 1}, {}}, {{}, {}}});
    expect_invalid(*policy_, empty_class, servers, streams, {"class 1 allows no server"});
  }
}

TEST_P(PolicyConstraints, AStreamLeavesAReadOnlyServerItsClassDoesNotAllow) {
  // Read-only servers keep what they have, but not a stream whose class has since excluded them
  // while it allows an up server; a stream whose class still allows its read-only owner stays.
  constexpr uint32_t kServers = 6;
  Servers all_up = Servers::equal(kServers);
  Streams streams(600);
  const std::vector<double> load(streams.count(), 1.0);
  const std::vector<uint32_t> previous = rebalance_with(*policy_, all_up, streams, load, {}, nullptr);
  std::vector<int32_t> state(kServers, BERTH_SERVER_UP);
  state[0] = BERTH_SERVER_READ_ONLY;
  Servers servers(std::vector<double>(kServers, 1.0), state);
  // Class 0 (even streams) allows servers 3..5 only; class 1 (odd streams) allows 0..2.
  std::vector<uint32_t> class_of(streams.count());
  for (uint64_t i = 0; i < streams.count(); ++i) class_of[i] = static_cast<uint32_t>(i % 2);
  Constraints constraints(class_of, {ClassServers{{3, 4, 5}, {}}, ClassServers{{0, 1, 2}, {}}});
  const std::vector<uint32_t> owner = rebalance_with(*policy_, servers, streams, load, previous, &constraints.view());
  uint64_t kept_on_read_only = 0;
  for (uint64_t i = 0; i < streams.count(); ++i) {
    if (class_of[i] == 0) {
      EXPECT_GE(owner[i], 3u) << GetParam() << ": stream " << i;
    } else {
      EXPECT_LE(owner[i], 2u) << GetParam() << ": stream " << i;
      if (previous[i] == 0) {
        EXPECT_EQ(owner[i], 0u) << GetParam() << ": stream " << i << " left a read-only server its class allows";
        ++kept_on_read_only;
      }
    }
  }
  EXPECT_GT(kept_on_read_only, 0u);
}

TEST_P(PolicyConstraints, AnAbi10RequestIsReadWithoutConstraints) {
  // A host built against ABI 1.0 declares a request that ends before `constraints`: whatever
  // lies there is not read (here, constraints that would be rejected).
  Servers servers = Servers::equal(4);
  Streams streams(50);
  const std::vector<double> load(streams.count(), 1.0);
  Constraints bad(std::vector<uint32_t>(streams.count(), 9), {{{0}, {}}});
  berth_rebalance_request request{BERTH_SIZE_THROUGH(berth_rebalance_request, previous_owner), &servers.view(),
                                  &streams.view(), load.data(), nullptr, &bad.view()};
  std::vector<uint32_t> owner(streams.count(), BERTH_NO_SERVER);
  policy_->rebalance(request, owner.data());
  EXPECT_EQ(owner, rebalance_with(*policy_, servers, streams, load, {}, nullptr));
}

INSTANTIATE_TEST_SUITE_P(EveryPolicyThatHonoursConstraints, PolicyConstraints,
                         ::testing::Values("sticky", "least_load", "weighted", "hash"),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

// Preferred is soft for the policies that measure load: a class with more load than its one
// preferred server's share spills onto its other allowed servers, never outside them.
TEST(PolicyConstraintsByLoad, PreferredIsSoftAllowedIsNot) {
  for (const std::string name : {"sticky", "least_load", "hash"}) {
    auto policy = load_policy(name);
    Servers servers = Servers::equal(10);
    Streams streams(2000);
    const std::vector<double> load(streams.count(), 1.0);
    std::vector<uint32_t> class_of(streams.count(), BERTH_NO_CLASS);
    for (uint64_t i = 0; i < streams.count(); i += 2) class_of[i] = 0;  // half the load
    Constraints constraints(class_of, {ClassServers{{2, 4, 6, 8}, {4}}});
    const std::vector<uint32_t> owner = rebalance_with(*policy, servers, streams, load, {}, &constraints.view());
    uint64_t on_preferred = 0, on_other_allowed = 0;
    for (uint64_t i = 0; i < streams.count(); i += 2) {
      ASSERT_TRUE(owner[i] == 2 || owner[i] == 4 || owner[i] == 6 || owner[i] == 8) << name << ": stream " << i;
      (owner[i] == 4 ? on_preferred : on_other_allowed) += 1;
    }
    EXPECT_GT(on_preferred, 0u) << name;
    EXPECT_GT(on_other_allowed, 0u) << name << ": the preferred server took the whole class";
  }
}

}  // namespace
}  // namespace berth::policy_test
