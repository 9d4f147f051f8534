// The sandbox: nothing outside it is reachable, bytecode is refused, runaway scripts are stopped,
// and a script's own pcall cannot swallow a limit.
#include "rules_fixture.h"

namespace berth::testing {
namespace {

struct Escape {
  const char* script;
  const char* expected;  // part of the error
};

class SandboxEscape : public ::testing::TestWithParam<Escape> {};

TEST_P(SandboxEscape, FailsWithAClearError) {
  std::string error = compile_error(GetParam().script);
  EXPECT_NE(error.find(GetParam().expected), std::string::npos) << GetParam().script << " -> " << error;
  EXPECT_NE(error.find("test.lua:1"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    EveryWayOut, SandboxEscape,
    ::testing::Values(Escape{"io.open('/etc/passwd')", "global 'io'"}, Escape{"os.execute('true')", "global 'os'"},
                      Escape{"local t = os.time()", "global 'os'"}, Escape{"os.exit(1)", "global 'os'"},
                      Escape{"require('os')", "global 'require'"}, Escape{"local p = package.loaded", "global 'package'"},
                      Escape{"debug.sethook()", "global 'debug'"}, Escape{"dofile('/etc/passwd')", "global 'dofile'"},
                      Escape{"loadfile('/etc/passwd')", "global 'loadfile'"}, Escape{"load('return 1')", "global 'load'"},
                      Escape{"local f = string.dump(print)", "field 'dump'"},
                      Escape{"local x = ('').dump(print)", "field 'dump'"},
                      Escape{"local r = math.random(6)", "field 'random'"}, Escape{"math.randomseed(1)", "field 'randomseed'"},
                      Escape{"collectgarbage('stop')", "global 'collectgarbage'"},
                      Escape{"local c = coroutine.create(print)", "global 'coroutine'"}));

TEST(Sandbox, BytecodeIsRefused) {
  // A precompiled chunk starts with ESC "Lua"; text mode refuses it before reading further.
  std::string error = compile_error(std::string("\x1bLua\x54\x00\x19\x93\r\n\x1a\n", 12));
  EXPECT_NE(error.find("binary chunk"), std::string::npos) << error;
  EXPECT_NE(error.find("test.lua"), std::string::npos) << error;
}

TEST(Sandbox, WhatIsLeftStillWorks) {
  EXPECT_EQ(compile_error("local t = {3, 1, 2}; table.sort(t); assert(t[1] == 1)\n"
                          "assert(string.format('%d', 42) == '42' and math.floor(2.5) == 2 and utf8.char(72) == 'H')\n"
                          "assert(select('#', pcall(error, 'x')) == 2)"),
            "");
}

TEST(Sandbox, InfiniteLoopAtTheTopLevelIsStopped) {
  std::string error = compile_error("local n = 0\nwhile true do n = n + 1 end", {100000, 16u << 20});
  EXPECT_NE(error.find("instruction limit of 100000 exceeded"), std::string::npos) << error;
  EXPECT_NE(error.find("test.lua:2"), std::string::npos) << error;
}

TEST(Sandbox, InfiniteLoopInARuleIsStoppedAndNamesTheTenant) {
  FakeCluster c = zoned_cluster();
  c.stream("s1", "acme", 1, 0);
  c.stream("s2", "globex", 1, 1);
  auto rules = compile("tenant('acme', function(t)\n  while true do end\nend)", {100000, 16u << 20});
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::limit);
  EXPECT_NE(e.problems[0].message.find("instruction limit"), std::string::npos) << e.problems[0].message;
  EXPECT_NE(e.problems[0].message.find("test.lua:2"), std::string::npos) << e.problems[0].message;
  EXPECT_NE(e.problems[0].message.find("tenant 'acme'"), std::string::npos) << e.problems[0].message;
  EXPECT_EQ(c.allowed(e, "s1"), Names{"srv-a1"}) << "acme's stream keeps its owner";
  EXPECT_EQ(c.allowed(e, "s2").size(), 6u) << "globex is unaffected";
}

TEST(Sandbox, PcallCannotSwallowTheInstructionLimit) {
  FakeCluster c = zoned_cluster();
  c.stream("s1", "acme");
  auto rules = compile(
      "tenant('*', function(t)\n"
      "  while true do pcall(function() while true do end end) end\n"
      "end)",
      {100000, 16u << 20});
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::limit) << e.report();
}

TEST(Sandbox, PcallThatReturnsNormallyStillFailsOnALimit) {
  FakeCluster c = zoned_cluster();
  c.stream("s1", "acme");
  auto rules = compile("tenant('*', function(t) pcall(function() while true do end end) end)", {100000, 16u << 20});
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::limit);
}

TEST(Sandbox, UnboundedAllocationIsStopped) {
  FakeCluster c = zoned_cluster();
  c.stream("s1", "acme");
  auto rules = compile(
      "tenant('acme', function(t)\n"
      "  local hoard, i = {}, 0\n"
      "  while true do i = i + 1; hoard[i] = string.rep('x', 1000) .. i end\n"
      "end)",
      {uint64_t{1} << 40, 4u << 20});
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::limit);
  EXPECT_NE(e.problems[0].message.find("memory limit of 4194304 bytes"), std::string::npos) << e.problems[0].message;
  EXPECT_NE(e.problems[0].message.find("test.lua:1"), std::string::npos) << e.problems[0].message;
  EXPECT_NE(e.problems[0].message.find("acme"), std::string::npos) << e.problems[0].message;
  // The state is usable again afterwards: the hoard was collected.
  rules::Evaluation again = c.evaluate(*rules);
  EXPECT_EQ(again.problems.size(), 1u);
}

TEST(Sandbox, OneHugeAllocationCaughtByPcallIsStillALimit) {
  FakeCluster c = zoned_cluster();
  c.stream("s1", "acme");
  auto rules = compile("tenant('*', function(t) local ok = pcall(string.rep, 'x', 1e9) end)", {1000000, 4u << 20});
  rules::Evaluation e = c.evaluate(*rules);
  ASSERT_EQ(e.problems.size(), 1u) << e.report();
  EXPECT_EQ(e.problems[0].kind, rules::Problem::limit);
}

TEST(Sandbox, PrintGoesNowhere) { EXPECT_EQ(compile_error("print('hello')"), ""); }

}  // namespace
}  // namespace berth::testing

namespace berth::testing {
namespace {

// A script that keeps its hoard between calls leaves the next call no room even for the handle
// it is given: that must fail as a limit, not end the process.
TEST(Sandbox, AStateFullBetweenCallsFailsTheNextCallCleanly) {
  FakeCluster c = zoned_cluster();
  c.stream("a1", "acme");
  c.stream("g1", "globex");
  auto rules = compile(
      "hoard = {}\n"
      "tenant('*', function(t)\n"
      "  local ok = pcall(function() while true do hoard[#hoard + 1] = {} end end)\n"
      "end)\n"
      "dedicate('acme', {zone = 'a'})",
      {uint64_t{1} << 40, 2u << 20});
  rules::Evaluation e = c.evaluate(*rules);
  EXPECT_GE(e.problem_count, 1u) << e.report();
  for (const auto& p : e.problems) EXPECT_EQ(p.kind, rules::Problem::limit) << p.message;
  EXPECT_EQ(e.kept_owner, 2u);
}

}  // namespace
}  // namespace berth::testing
