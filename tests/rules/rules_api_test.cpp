// Each kind of rule, as the constraints it produces for the policies.
#include <fmt/format.h>

#include "rules_fixture.h"

namespace berth::testing {
namespace {

TEST(RulesApi, NoRulesConstrainNothing) {
  FakeCluster c = zoned_cluster();
  c.stream("s1", "acme");
  auto rules = compile("-- nothing yet");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(e.constraints.class_count(), 0u);
  EXPECT_EQ(e.constraints.view(), nullptr);
  EXPECT_TRUE(e.load.empty());
}

TEST(RulesApi, DedicatedServersTakeOnlyTheirTenant) {
  FakeCluster c = zoned_cluster();
  c.stream("g1", "gold");
  c.stream("a1", "acme");
  c.stream("n1", "");
  auto rules = compile("dedicate('gold', {tier = 'gold'})");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(c.allowed(e, "g1"), (Names{"srv-c1", "srv-c2"}));
  EXPECT_EQ(c.allowed(e, "a1"), (Names{"srv-a1", "srv-a2", "srv-b1", "srv-b2"}));
  EXPECT_EQ(c.allowed(e, "n1"), (Names{"srv-a1", "srv-a2", "srv-b1", "srv-b2"})) << "streams without a tenant too";
  EXPECT_EQ(e.constraints.class_count(), 2u);
  EXPECT_TRUE(e.problems.empty()) << e.report();
}

TEST(RulesApi, DedicatedByIdToSeveralTenants) {
  FakeCluster c = zoned_cluster();
  c.stream("x1", "x");
  c.stream("y1", "y");
  c.stream("z1", "z");
  auto rules = compile("dedicate({'x', 'y'}, {'srv-a1', 'srv-b1'})");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(c.allowed(e, "x1"), (Names{"srv-a1", "srv-b1"}));
  EXPECT_EQ(c.allowed(e, "y1"), (Names{"srv-a1", "srv-b1"}));
  EXPECT_EQ(c.allowed(e, "z1"), (Names{"srv-a2", "srv-b2", "srv-c1", "srv-c2"}));
}

TEST(RulesApi, AllowRequireDenyAreHard) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme");
  c.stream("g1", "globex");
  c.stream("i1", "initech");
  auto rules = compile(
      "tenant('acme', function(t) t:allow{zone = 'a'}; t:allow{zone = 'b'}; t:deny{rack = 'r2'} end)\n"
      "tenant('globex', function(t) t:require{rack = 'r1'}; t:require{zone = {'b', 'c'}} end)\n"
      "tenant('initech', function(t) t:deny('srv-a1') end)\n");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(c.allowed(e, "a1"), (Names{"srv-a1", "srv-b1"})) << "allows add up, deny takes away";
  EXPECT_EQ(c.allowed(e, "g1"), (Names{"srv-b1", "srv-c1"})) << "requirements intersect";
  EXPECT_EQ(c.allowed(e, "i1"), (Names{"srv-a2", "srv-b1", "srv-b2", "srv-c1", "srv-c2"}));
  EXPECT_TRUE(c.preferred(e, "a1").empty());
}

TEST(RulesApi, PreferAndAvoidAreSoft) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme");
  c.stream("g1", "globex");
  c.stream("i1", "initech");
  auto rules = compile(
      "tenant('acme', function(t) t:allow{zone = {'a', 'b'}}; t:prefer{ssd = true} end)\n"
      "tenant('globex', function(t) t:avoid{zone = 'c'} end)\n"
      "tenant('initech', function(t) t:prefer{zone = 'a'}; t:avoid('srv-a2') end)\n");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(c.allowed(e, "a1"), (Names{"srv-a1", "srv-a2", "srv-b1", "srv-b2"}));
  EXPECT_EQ(c.preferred(e, "a1"), (Names{"srv-a1", "srv-b1"}));
  EXPECT_EQ(c.allowed(e, "g1").size(), 6u) << "avoid is no ban";
  EXPECT_EQ(c.preferred(e, "g1"), (Names{"srv-a1", "srv-a2", "srv-b1", "srv-b2"}));
  EXPECT_EQ(c.preferred(e, "i1"), (Names{"srv-a1"}));
}

TEST(RulesApi, PinSendsOneStreamToOneServer) {
  FakeCluster c = zoned_cluster();
  c.stream("orders", "acme");
  c.stream("other", "acme");
  auto rules = compile("pin('orders', 'srv-b2')\ntenant('acme', function(t) t:allow{zone = 'a'} end)");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(c.allowed(e, "orders"), Names{"srv-b2"}) << "a pin wins over the tenant's rules";
  EXPECT_EQ(c.allowed(e, "other"), (Names{"srv-a1", "srv-a2"}));
}

TEST(RulesApi, ScaleMultipliesATenantsLoad) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme", 2.0);
  c.stream("g1", "globex", 3.0);
  auto rules = compile("tenant('acme', function(t) t:scale(2.5) end)");
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.load.size(), 2u);
  EXPECT_DOUBLE_EQ(e.load[c.stream_index("a1")], 5.0);
  EXPECT_DOUBLE_EQ(e.load[c.stream_index("g1")], 3.0);
  EXPECT_EQ(e.constraints.class_count(), 0u) << "a scale alone constrains nothing";
}

TEST(RulesApi, SpreadCapsEachZoneAndKeepsStreamsWhereTheyAre) {
  FakeCluster c = zoned_cluster();
  uint32_t a1 = c.server_index("srv-a1"), b1 = c.server_index("srv-b1");
  for (int i = 0; i < 8; ++i) c.stream("acme-" + std::to_string(i), "acme", 1.0, a1);  // all in zone a
  c.stream("acme-8", "acme", 1.0, b1);
  c.stream("acme-9", "acme", 1.0);  // new
  auto rules = compile("tenant('acme', function(t) t:deny{zone = 'c'}; t:spread('zone', 0.5) end)");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_TRUE(e.problems.empty()) << e.report();
  std::map<std::string, int> per_zone;
  for (int i = 0; i < 10; ++i) {
    Names allowed = c.allowed(e, "acme-" + std::to_string(i));
    ASSERT_EQ(allowed.size(), 2u) << "one zone per stream";
    ++per_zone[allowed[0].substr(0, 5)];
  }
  EXPECT_EQ(per_zone["srv-a"], 5) << "at most half in zone a";
  EXPECT_EQ(per_zone["srv-b"], 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.allowed(e, "acme-" + std::to_string(i))[0], "srv-a1") << "the first five stay";
  EXPECT_EQ(c.allowed(e, "acme-8")[0], "srv-b1") << "already in b: stays";
  EXPECT_EQ(e.constraints.class_count(), 2u) << "one class per zone";
}

TEST(RulesApi, TenantRulesRunOncePerTenantAndClassesAreShared) {
  FakeCluster c = zoned_cluster();
  for (int t = 0; t < 50; ++t)
    for (int s = 0; s < 20; ++s) c.stream(fmt::format("t{}-s{}", t, s), fmt::format("tenant-{}", t));
  auto rules = compile("tenant('*', function(t) t:allow{rack = 'r1'} end)");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(e.tenant_calls, 50u) << "not once per stream";
  EXPECT_EQ(e.stream_calls, 0u);
  EXPECT_EQ(e.constraints.class_count(), 1u) << "identical classes are one";
  EXPECT_EQ(e.constraints.constrained_streams(), 1000u);
}

TEST(RulesApi, StreamRulesDecidePerStream) {
  FakeCluster c = zoned_cluster();
  c.stream("acme-hot-1", "acme", 1.0, c.server_index("srv-a2"));
  c.stream("acme-cold-1", "acme");
  c.stream("globex-hot-1", "globex");
  auto rules = compile(
      "tenant('acme', function(t) t:allow{zone = 'a'} end)\n"
      "stream('acme', function(s)\n"
      "  if s.id:find('hot') then s:require{ssd = true} end\n"
      "  if s.owner == 'srv-a2' then s:scale(3) end\n"
      "end)");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(c.allowed(e, "acme-hot-1"), Names{"srv-a1"}) << "the tenant's rules, then the stream's";
  EXPECT_EQ(c.allowed(e, "acme-cold-1"), (Names{"srv-a1", "srv-a2"}));
  EXPECT_EQ(c.allowed(e, "globex-hot-1").size(), 6u) << "stream rules for acme only";
  EXPECT_EQ(e.stream_calls, 2u);
  ASSERT_FALSE(e.load.empty());
  EXPECT_DOUBLE_EQ(e.load[c.stream_index("acme-hot-1")], 3.0);
}

TEST(RulesApi, RulesSeeTheCluster) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme", 4.0);
  c.stream("a2", "acme", 6.0);
  auto rules = compile(
      "tenant('acme', function(t)\n"
      "  assert(t.name == 'acme' and t.streams == 2 and t.load == 10)\n"
      "  assert(#servers() == 6 and servers()[5].labels.tier == 'gold' and servers()[1].labels.ssd == true)\n"
      "  local zones = label_values('zone')\n"
      "  t:allow{zone = zones[#zones]}\n"
      "end)");
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_TRUE(e.problems.empty()) << e.report();
  EXPECT_EQ(c.allowed(e, "a1"), (Names{"srv-c1", "srv-c2"}));
}

}  // namespace
}  // namespace berth::testing
