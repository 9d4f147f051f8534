// Contract: every instance of a cluster is told about each kind of change.
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

// The leader, the instance that submitted and one that only watches: each hears of every
// submission (a one-shot watch, as ZooKeeper's, must be set again after each).
TEST_P(BackendContract, SubmissionsNotifyEveryInstance) {
  WatchCounter on_leader, on_submitter, on_observer;
  auto leader = open(&on_leader);
  auto submitter = open(&on_submitter);
  auto observer = open(&on_observer);
  lead(*leader);
  const struct {
    const char* name;
    const WatchCounter& counter;
  } instances[] = {{"the leader", on_leader}, {"the submitter", on_submitter}, {"an observer", on_observer}};
  for (int round = 1; round <= 2; ++round) {
    int before[3];
    for (int i = 0; i < 3; ++i) before[i] = instances[i].counter.count(BERTH_CHANGED_INTAKE);
    submitter->submit("record " + std::to_string(round));
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(instances[i].counter.wait_for(BERTH_CHANGED_INTAKE, before[i] + 1, settle()))
          << instances[i].name << " was not told of submission " << round;
  }
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
