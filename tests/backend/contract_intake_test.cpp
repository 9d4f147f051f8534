// Contract: records submitted by anyone, drained by the leader, oldest first.
#include "backend/backend_contract.h"

namespace berth::test {
namespace {

using Records = std::vector<std::string>;

TEST_P(BackendContract, SubmissionsAreDrainedOldestFirstAndOnlyOnce) {
  auto leader = open();
  auto a = open();
  auto b = open();
  lead(*leader);
  a->submit("one");
  b->submit(std::string("two\0bytes", 9));
  a->submit("");
  leader->submit("four");
  EXPECT_EQ(drain_until(*leader, 4), (Records{"one", std::string("two\0bytes", 9), "", "four"}));
  EXPECT_TRUE(leader->drain().empty()) << "drained records are gone";
  a->submit("five");
  EXPECT_EQ(drain_until(*leader, 1), Records{"five"});
}

TEST_P(BackendContract, OnlyTheLeaderDrains) {
  auto leader = open();
  auto follower = open();
  auto observer = open();
  lead(*leader);
  follower->campaign();
  observer->submit("kept");
  Failure failure = failure_of([&] { follower->drain(); });
  EXPECT_EQ(failure.code, BERTH_E_STATE);
  EXPECT_EQ(failure_of([&] { observer->drain(); }).code, BERTH_E_STATE);
  EXPECT_EQ(drain_until(*leader, 1), Records{"kept"}) << "a refused drain takes nothing";
}

TEST_P(BackendContract, SubmissionsWaitForTheNextLeader) {
  auto a = open();
  auto b = open();
  a->submit("before anyone leads");
  lead(*b);
  b->submit("while b leads");
  b->resign();
  lead(*a);
  EXPECT_EQ(drain_until(*a, 2), (Records{"before anyone leads", "while b leads"}));
}

TEST_P(BackendContract, SubmissionsOutliveTheSubmitter) {
  auto leader = open();
  lead(*leader);
  {
    auto short_lived = open();
    short_lived->submit("from the departed");
  }
  EXPECT_EQ(drain_until(*leader, 1), Records{"from the departed"});
}

}  // namespace
}  // namespace berth::test
