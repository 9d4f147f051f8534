// Contract: every instance of a cluster is told about each kind of change.
#include <thread>

#include "backend/backend_contract.h"

namespace berth::test {
namespace {

TEST_P(BackendContract, MemberChangesNotifyEveryInstance) {
  WatchCounter on_a, on_b;
  auto a = open(&on_a);
  auto b = open(&on_b);
  a->join("a-1", "x");
  EXPECT_TRUE(on_a.wait_for(BERTH_CHANGED_MEMBERS, 1, settle()));
  EXPECT_TRUE(on_b.wait_for(BERTH_CHANGED_MEMBERS, 1, settle()));
  int before = on_b.count(BERTH_CHANGED_MEMBERS);
  a->join("a-1", "changed info");
  EXPECT_TRUE(on_b.wait_for(BERTH_CHANGED_MEMBERS, before + 1, settle())) << "new info is a change";
  before = on_b.count(BERTH_CHANGED_MEMBERS);
  a->leave("a-1");
  EXPECT_TRUE(on_b.wait_for(BERTH_CHANGED_MEMBERS, before + 1, settle())) << "leave";
  a->join("a-2", "y");
  ASSERT_TRUE(eventually([&] { return member_ids(*b).size() == 1; }));
  before = on_b.count(BERTH_CHANGED_MEMBERS);
  a.reset();
  EXPECT_TRUE(on_b.wait_for(BERTH_CHANGED_MEMBERS, before + 1, settle())) << "an instance ending";
}

TEST_P(BackendContract, LeadershipChangesNotifyEveryInstance) {
  WatchCounter on_a, on_b, on_c;
  auto a = open(&on_a);
  auto b = open(&on_b);
  auto c = open(&on_c);
  lead(*a);
  EXPECT_TRUE(on_a.wait_for(BERTH_CHANGED_LEADER, 1, settle()));
  EXPECT_TRUE(on_c.wait_for(BERTH_CHANGED_LEADER, 1, settle())) << "even one that never campaigns";
  b->campaign();
  int before_b = on_b.count(BERTH_CHANGED_LEADER);
  int before_c = on_c.count(BERTH_CHANGED_LEADER);
  a->resign();
  EXPECT_TRUE(on_b.wait_for(BERTH_CHANGED_LEADER, before_b + 1, settle())) << "the new leader";
  EXPECT_TRUE(on_c.wait_for(BERTH_CHANGED_LEADER, before_c + 1, settle())) << "an observer";
  EXPECT_TRUE(eventually([&] { return b->leadership().is_leader == 1; }));
  a->campaign();
  int before_a = on_a.count(BERTH_CHANGED_LEADER);
  b.reset();
  EXPECT_TRUE(on_a.wait_for(BERTH_CHANGED_LEADER, before_a + 1, settle())) << "a destroyed leader";
}

TEST_P(BackendContract, NewVersionsNotifyEveryInstance) {
  WatchCounter on_leader, on_reader;
  auto leader = open(&on_leader);
  auto reader = open(&on_reader);
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "one");
  EXPECT_TRUE(on_reader.wait_for(BERTH_CHANGED_SNAPSHOT, 1, settle()));
  EXPECT_TRUE(on_leader.wait_for(BERTH_CHANGED_SNAPSHOT, 1, settle()));
  leader->publish(epoch, 2, "two");
  EXPECT_TRUE(on_reader.wait_for(BERTH_CHANGED_SNAPSHOT, 2, settle()));
}

// Submissions are the leader's alone: it hears of every one (a one-shot watch, as ZooKeeper's,
// must be set again after each); the instance that submitted and one that only watches are never
// woken by them (every node listing the intake on every submission is a herd).
TEST_P(BackendContract, SubmissionsNotifyTheLeaderOnly) {
  WatchCounter on_leader, on_submitter, on_observer;
  auto leader = open(&on_leader);
  auto submitter = open(&on_submitter);
  auto observer = open(&on_observer);
  lead(*leader);
  for (int round = 1; round <= 3; ++round) {
    const int before = on_leader.count(BERTH_CHANGED_INTAKE);
    submitter->submit("record " + std::to_string(round));
    EXPECT_TRUE(on_leader.wait_for(BERTH_CHANGED_INTAKE, before + 1, settle()))
        << "the leader was not told of submission " << round;
  }
  // Anything a follower would be told comes by now: the leader heard of every record.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(on_submitter.count(BERTH_CHANGED_INTAKE), 0) << "the submitter follows";
  EXPECT_EQ(on_observer.count(BERTH_CHANGED_INTAKE), 0) << "the observer follows";
}

// A new leader hears of records submitted while it followed (it did not watch them).
TEST_P(BackendContract, ANewLeaderHearsOfPendingSubmissions) {
  WatchCounter on_first, on_second;
  auto first = open(&on_first);
  auto second = open(&on_second);
  lead(*first);
  second->campaign();
  second->submit("pending");
  ASSERT_TRUE(on_first.wait_for(BERTH_CHANGED_INTAKE, 1, settle()));
  first->resign();
  ASSERT_TRUE(eventually([&] { return second->leadership().is_leader == 1; }));
  EXPECT_TRUE(on_second.wait_for(BERTH_CHANGED_INTAKE, 1, settle()));
  EXPECT_EQ(drain_until(*second, 1), std::vector<std::string>{"pending"});
}

TEST_P(BackendContract, AnInstanceWithoutAWatchWorks) {
  WatchCounter on_a;
  auto a = open(&on_a);
  auto silent = open(nullptr);
  silent->join("silent", "x");
  uint64_t epoch = lead(*silent);
  silent->publish(epoch, 1, "one");
  silent->submit("r");
  EXPECT_TRUE(on_a.wait_for(BERTH_CHANGED_MEMBERS, 1, settle()));
  EXPECT_TRUE(on_a.wait_for(BERTH_CHANGED_SNAPSHOT, 1, settle()));
}

TEST_P(BackendContract, NoNotificationAfterDestroy) {
  WatchCounter on_a, on_b;
  auto a = open(&on_a);
  auto b = open(&on_b);
  a->join("a-1", "x");
  ASSERT_TRUE(on_a.wait_for(BERTH_CHANGED_MEMBERS, 1, settle()));
  a.reset();
  on_a.mark_closed();
  b->join("b-1", "y");
  lead(*b);
  b->submit("r");
  b->publish(b->leadership().epoch, 1, "one");
  ASSERT_TRUE(on_b.wait_for(BERTH_CHANGED_SNAPSHOT, 1, settle()));
  EXPECT_EQ(on_a.calls_after_close(), 0);
}

}  // namespace
}  // namespace berth::test
