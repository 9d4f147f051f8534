// Every failure names the script, the line and the tenant or stream; a failing rule holds only
// its own streams on their owners.
#include "rules_fixture.h"

namespace berth::testing {
namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(RulesErrors, SyntaxErrorNamesScriptAndLine) {
  std::string error = compile_error("tenant('acme', function(t)\n  t:allow{zone = 'a'\nend)\n");
  EXPECT_TRUE(has(error, "syntax error")) << error;
  EXPECT_TRUE(has(error, "test.lua:3")) << error;
}

TEST(RulesErrors, RuntimeErrorNamesScriptLineAndTenant) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme", 1, 0);
  c.stream("g1", "globex", 1, 1);
  auto rules = compile(
      "tenant('*', function(t)\n"
      "  if t.name == 'acme' then error('no such plan') end\n"
      "  t:allow{zone = 'b'}\n"
      "end)");
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::runtime);
  EXPECT_TRUE(has(e.problems[0].message, "test.lua:2: no such plan")) << e.problems[0].message;
  EXPECT_TRUE(has(e.problems[0].message, "tenant 'acme'")) << e.problems[0].message;
  EXPECT_EQ(e.problems[0].streams, 1u);
  EXPECT_EQ(c.allowed(e, "a1"), Names{"srv-a1"}) << "held on its owner";
  EXPECT_EQ(c.allowed(e, "g1"), (Names{"srv-b1", "srv-b2"})) << "others unaffected";
  EXPECT_EQ(e.kept_owner, 1u);
}

TEST(RulesErrors, RuntimeErrorInAStreamRuleNamesTheStream) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme");
  c.stream("a2", "acme");
  auto rules = compile("stream('acme', function(s)\n  if s.id == 'a2' then local x = nil; x.y = 1 end\nend)");
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_TRUE(has(e.problems[0].message, "test.lua:2")) << e.problems[0].message;
  EXPECT_TRUE(has(e.problems[0].message, "stream 'a2' of tenant 'acme'")) << e.problems[0].message;
}

TEST(RulesErrors, UnknownLabelIsNamed) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme", 1, 3);
  auto rules = compile("tenant('acme', function(t)\n  t:allow{zonee = 'a'}\nend)");
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::unknown_label);
  EXPECT_TRUE(has(e.problems[0].message, "unknown label 'zonee'")) << e.problems[0].message;
  EXPECT_TRUE(has(e.problems[0].message, "rack, ssd, tier, zone")) << "lists what exists: " << e.problems[0].message;
  EXPECT_TRUE(has(e.problems[0].message, "test.lua:2")) << e.problems[0].message;
  EXPECT_TRUE(has(e.problems[0].message, "tenant 'acme'")) << e.problems[0].message;
  EXPECT_EQ(c.allowed(e, "a1"), Names{"srv-b2"});
}

TEST(RulesErrors, UnknownServerIsNamed) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme");
  c.stream("a2", "acme");
  auto rules = compile("pin('a1', 'srv-z9')\ndedicate('acme', {'srv-a1', 'srv-q'})");
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problem_count, 2u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::unknown_server);
  EXPECT_TRUE(has(e.report(), "test.lua:1: pin(): unknown server 'srv-z9'")) << e.report();
  EXPECT_TRUE(has(e.report(), "test.lua:2: dedicate(): unknown server 'srv-q'")) << e.report();
  EXPECT_TRUE(has(e.report(), "stream 'a1'")) << e.report();
  EXPECT_TRUE(has(e.report(), "tenant 'acme'")) << e.report();
}

TEST(RulesErrors, ABrokenDedicationIsReportedEvenWithoutStreams) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme");
  auto rules = compile("dedicate('gold', {tierr = 'gold'})");
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::unknown_label);
  EXPECT_TRUE(has(e.problems[0].message, "test.lua:1: dedicate(): unknown label 'tierr'")) << e.problems[0].message;
  EXPECT_EQ(c.allowed(e, "a1").size(), 6u);
}

TEST(RulesErrors, NoAllowedServerKeepsTheOwnerAndIsReported) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme", 1, c.server_index("srv-c1"));
  c.stream("a2", "acme");  // no owner yet: placed as if unconstrained
  c.stream("g1", "globex");
  auto rules = compile("tenant('acme', function(t)\n  t:allow{zone = 'a'}\n  t:deny{rack = {'r1', 'r2'}}\nend)");
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::no_allowed_server);
  EXPECT_TRUE(has(e.problems[0].message, "test.lua:3")) << e.problems[0].message;
  EXPECT_TRUE(has(e.problems[0].message, "tenant 'acme'")) << e.problems[0].message;
  EXPECT_EQ(e.problems[0].streams, 2u);
  EXPECT_EQ(e.kept_owner, 2u);
  EXPECT_EQ(c.allowed(e, "a1"), Names{"srv-c1"});
  EXPECT_EQ(e.constraints.class_of(c.stream_index("a2")), BERTH_NO_CLASS);
  EXPECT_EQ(c.allowed(e, "g1").size(), 6u);
}

TEST(RulesErrors, MisuseIsReportedWithTheLine) {
  EXPECT_TRUE(has(compile_error("tenant('a', 42)"), "test.lua:1: tenant(): the second argument is the rule"));
  EXPECT_TRUE(has(compile_error("pin('s', 'x')\npin('s', 'y')"), "test.lua:2: pin(): stream 's' is already pinned at test.lua:1"));
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme");
  auto nested = compile("tenant('*', function(t) tenant('x', function() end) end)");
  rules::Evaluation e = c.evaluate(*nested);
  EXPECT_TRUE(has(e.report(), "call it at the top level")) << e.report();
  auto stale = compile("local kept\ntenant('*', function(t) if kept then kept:allow('srv-a1') end kept = t end)");
  c.stream("g1", "globex");
  e = c.evaluate(*stale);
  EXPECT_TRUE(has(e.report(), "belongs to a rule call that has ended")) << e.report();
  auto bad_share = compile("tenant('*', function(t) t:spread('zone', 1.5) end)");
  EXPECT_TRUE(has(c.evaluate(*bad_share).report(), "share 1.5 is not in (0, 1]"));
  auto bad_selector = compile("tenant('*', function(t) t:allow{zone = {}} end)");
  EXPECT_TRUE(has(c.evaluate(*bad_selector).report(), "list of values is empty"));
}

TEST(RulesErrors, ALimitInAStreamRuleStopsThatRuleForTheRestOfTheEvaluation) {
  FakeCluster c = zoned_cluster();
  for (int i = 0; i < 50; ++i) c.stream("a" + std::to_string(i), "acme");
  auto rules = compile("stream('acme', function(s) while true do end end)", {100000, 16u << 20});
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_EQ(e.stream_calls, 50u);
  EXPECT_EQ(e.problem_count, 50u);
  EXPECT_EQ(e.kept_owner, 50u);
  EXPECT_TRUE(has(e.problems[1].message, "not called again")) << e.problems[1].message;
}

}  // namespace
}  // namespace berth::testing
