// The checker itself: it must flag what it exists to flag, or the ownership tests prove nothing.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "history.h"

namespace berth::testing {
namespace {

HistoryEvent ev(char kind, const std::string& host, const std::string& stream, uint64_t token, uint64_t t) {
  return HistoryEvent{kind, host, stream, token, t};
}

TEST(HistoryChecker, DisjointHandOffPassesAndMeasuresTheGap) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('R', "a", "s", 1, 20), ev('A', "b", "s", 2, 25)}, 0, 100);
  EXPECT_EQ(v.violations, 0u);
  EXPECT_EQ(v.intervals, 2u);
  EXPECT_EQ(v.max_unowned_ns, 5u);
}

TEST(HistoryChecker, SecondHolderStartingBeforeTheFirstReleasedIsAnOverlap) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "s", 2, 15), ev('R', "a", "s", 1, 20)}, 0, 100);
  EXPECT_EQ(v.overlaps, 1u);
  ASSERT_FALSE(v.examples.empty());
  EXPECT_NE(v.examples[0].find("b (token 2)"), std::string::npos) << v.examples[0];
}

TEST(HistoryChecker, OverlapWithinTheMarginIsTolerated) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "s", 2, 18), ev('R', "a", "s", 1, 20)}, 5, 100);
  EXPECT_EQ(v.overlaps, 0u);
}

TEST(HistoryChecker, AKilledHostStopsHoldingAtTheKill) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('K', "a", "", 0, 20), ev('A', "b", "s", 2, 30)}, 0, 100);
  EXPECT_EQ(v.violations, 0u);
  auto open = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "s", 2, 30)}, 0, 100);
  EXPECT_EQ(open.overlaps, 1u) << "a claim never ended lasts to the end of the history";
}

TEST(HistoryChecker, RevocationEndsTheClaimAtItsEndedTime) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "s", 2, 30), ev('V', "a", "s", 1, 25)}, 0, 100);
  EXPECT_EQ(v.violations, 0u);
}

TEST(HistoryChecker, TokenThatDoesNotGrowIsARegression) {
  auto v = check_history({ev('A', "a", "s", 5, 10), ev('R', "a", "s", 5, 20), ev('A', "b", "s", 5, 30)}, 0, 100);
  EXPECT_EQ(v.token_regressions, 1u);
  EXPECT_EQ(v.violations, 1u);
}

TEST(HistoryChecker, ReleaseWithAnotherTokenDoesNotEndTheClaim) {
  auto v = check_history({ev('A', "a", "s", 5, 10), ev('R', "a", "s", 4, 20), ev('A', "b", "s", 6, 30)}, 0, 100);
  EXPECT_EQ(v.overlaps, 1u);
}

HistoryBounds judged(uint64_t end, uint64_t reacquire, uint64_t healed = 0, uint64_t settle = 0,
                     std::vector<std::string> streams = {}) {
  HistoryBounds b;
  b.end_ns = end;
  b.reacquire_ns = reacquire;
  b.healed_ns = healed;
  b.settle_ns = settle;
  b.streams = std::move(streams);
  return b;
}

TEST(HistoryChecker, AServerJoinedAgainByANewProcessIsAnotherHost) {
  // s0-1 was stopped (SIGSTOP) and never ended its claim; s0-2, the same server in a new process,
  // started serving meanwhile.
  auto v = check_history({ev('A', "s0-1", "s", 1, 10), ev('A', "s0-2", "s", 2, 30), ev('R', "s0-1", "s", 1, 40)}, 0, 100);
  EXPECT_EQ(v.overlaps, 1u);
}

TEST(HistoryChecker, CountsTheStreamsHeldWhenTheHistoryEnds) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "t", 1, 10), ev('A', "c", "u", 1, 10), ev('R', "a", "s", 1, 20),
                          ev('X', "b", "", 0, 30)},
                         0, 100);
  EXPECT_EQ(v.held_at_end, 1u);
}

TEST(HistoryChecker, KilledHostsStreamsAcquiredElsewhereWithinTheBoundPass) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "a", "t", 1, 10), ev('X', "a", "", 0, 20),
                          ev('A', "b", "s", 2, 45), ev('A', "c", "t", 2, 50)},
                         judged(100, 30));
  EXPECT_EQ(v.violations, 0u) << (v.examples.empty() ? "" : v.examples[0]);
  EXPECT_EQ(v.kills, 1u);
  EXPECT_EQ(v.max_reacquire_ns, 30u);
}

TEST(HistoryChecker, KilledHostsStreamAcquiredLateIsAViolation) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "a", "t", 1, 10), ev('X', "a", "", 0, 20),
                          ev('A', "b", "s", 2, 51), ev('A', "b", "t", 2, 52)},
                         judged(100, 30));
  EXPECT_EQ(v.late_reacquires, 2u);
  EXPECT_EQ(v.late_kills, 1u);
  EXPECT_EQ(v.violations, 1u) << "one kill, however many of its streams came late";
  EXPECT_EQ(v.max_reacquire_ns, 32u);
}

TEST(HistoryChecker, KilledHostsStreamNeverAcquiredElsewhereIsAViolation) {
  // The killed host's own name acquiring it again is not "elsewhere".
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('X', "a", "", 0, 20), ev('A', "a", "s", 2, 25)}, judged(100, 30));
  EXPECT_EQ(v.late_reacquires, 1u);
  ASSERT_FALSE(v.examples.empty());
  EXPECT_NE(v.examples[0].find("never acquired elsewhere"), std::string::npos) << v.examples[0];
}

TEST(HistoryChecker, AGracefulCloseIsNotJudgedAsAKill) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('K', "a", "", 0, 20), ev('A', "b", "s", 2, 90)}, judged(100, 30));
  EXPECT_EQ(v.violations, 0u);
  EXPECT_EQ(v.kills, 0u);
}

TEST(HistoryChecker, EveryStreamHeldAgainWithinTheSettleBoundPasses) {
  // s is held across the healing, t is granted 20 after it.
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "t", 1, 70)}, judged(100, 0, 50, 20, {"s", "t"}));
  EXPECT_EQ(v.violations, 0u) << (v.examples.empty() ? "" : v.examples[0]);
  EXPECT_EQ(v.settled_ns, 20u);
}

TEST(HistoryChecker, StreamHeldAgainAfterTheSettleBoundIsAViolation) {
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "t", 1, 71)}, judged(100, 0, 50, 20, {"s", "t"}));
  EXPECT_EQ(v.unsettled, 1u);
  EXPECT_EQ(v.violations, 1u);
}

TEST(HistoryChecker, StreamNeverHeldAfterHealingIsAViolation) {
  // t was held, but only before the faults healed.
  auto v = check_history({ev('A', "a", "s", 1, 10), ev('A', "b", "t", 1, 10), ev('X', "b", "", 0, 40)},
                         judged(100, 0, 50, 20, {"s", "t"}));
  EXPECT_EQ(v.unsettled, 1u);
  ASSERT_FALSE(v.examples.empty());
  EXPECT_NE(v.examples[0].find("stream t: never held again"), std::string::npos) << v.examples[0];
}

TEST(HistoryChecker, LogLinesRoundTripAnyBytes) {
  std::string id("s\0 \n\xff", 5);
  std::stringstream log;
  log << format_event(ev('A', "h1", id, 7, 123)) << '\n' << format_event(ev('K', "h1", "", 0, 456)) << '\n'
      << format_event(ev('X', "h2", "", 0, 789)) << '\n';
  auto events = parse_history(log, "log");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].kind, 'X');
  EXPECT_EQ(events[2].host, "h2");
  EXPECT_EQ(events[2].t_ns, 789u);
  EXPECT_EQ(events[0].stream, id);
  EXPECT_EQ(events[0].token, 7u);
  EXPECT_EQ(events[1].kind, 'K');
  EXPECT_EQ(events[1].t_ns, 456u);
  std::stringstream bad("A h1 zz 1 2\n");
  EXPECT_THROW(parse_history(bad, "bad.log"), std::runtime_error);
}

}  // namespace
}  // namespace berth::testing
