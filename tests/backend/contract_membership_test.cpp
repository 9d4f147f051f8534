// Contract: membership (join, leave, members) across the instances of one cluster.
#include "backend/backend_contract.h"

namespace berth::test {
namespace {

using Members = std::vector<std::pair<std::string, std::string>>;

TEST_P(BackendContract, JoinedMembersAreSeenByEveryInstance) {
  auto a = open();
  auto b = open();
  a->join("a-1", "info a1");
  a->join("a-2", "info a2");
  b->join("b-1", "info b1");
  const Members expected{{"a-1", "info a1"}, {"a-2", "info a2"}, {"b-1", "info b1"}};
  EXPECT_TRUE(eventually([&] { return sorted_members(*a) == expected; })) << "as seen by a";
  EXPECT_TRUE(eventually([&] { return sorted_members(*b) == expected; })) << "as seen by b";
}

TEST_P(BackendContract, MemberInfoIsOpaqueBytes) {
  auto a = open();
  const std::string info("\0zone=a\xff\n", 9);
  a->join("host:1", info);
  a->join("host:2", "");
  EXPECT_TRUE(eventually([&] { return sorted_members(*a) == Members{{"host:1", info}, {"host:2", ""}}; }));
}

TEST_P(BackendContract, JoiningAgainReplacesInfo) {
  auto a = open();
  auto b = open();
  a->join("a-1", "old");
  a->join("a-1", "new");
  EXPECT_TRUE(eventually([&] { return sorted_members(*b) == Members{{"a-1", "new"}}; }));
}

TEST_P(BackendContract, LeaveRemovesTheMember) {
  auto a = open();
  auto b = open();
  a->join("a-1", "x");
  a->join("a-2", "y");
  a->leave("a-1");
  EXPECT_TRUE(eventually([&] { return member_ids(*b) == std::vector<std::string>{"a-2"}; }));
}

TEST_P(BackendContract, LeavingAnUnregisteredIdIsHarmless) {
  auto a = open();
  a->join("a-1", "x");
  a->leave("a-1");
  EXPECT_EQ(failure_of([&] { a->leave("a-1"); }).code, BERTH_OK) << "a retried leave must not fail";
  EXPECT_EQ(failure_of([&] { a->leave("never-joined"); }).code, BERTH_OK);
  EXPECT_TRUE(member_ids(*a).empty());
}

TEST_P(BackendContract, JoiningAnIdOwnedByAnotherInstanceFails) {
  auto a = open();
  auto b = open();
  a->join("shared", "from a");
  Failure failure = failure_of([&] { b->join("shared", "from b"); });
  EXPECT_EQ(failure.code, BERTH_E_STATE);
  EXPECT_NE(failure.message.find("shared"), std::string::npos) << failure.message;
  EXPECT_TRUE(eventually([&] { return sorted_members(*b) == Members{{"shared", "from a"}}; }))
      << "the owner's registration must be untouched";
}

TEST_P(BackendContract, LeavingAnotherInstancesMemberFails) {
  auto a = open();
  auto b = open();
  a->join("a-1", "x");
  ASSERT_TRUE(eventually([&] { return member_ids(*b) == std::vector<std::string>{"a-1"}; }));
  EXPECT_EQ(failure_of([&] { b->leave("a-1"); }).code, BERTH_E_STATE);
  EXPECT_EQ(member_ids(*a), std::vector<std::string>{"a-1"});
}

TEST_P(BackendContract, AnIdFreedByLeaveCanBeTakenByAnotherInstance) {
  auto a = open();
  auto b = open();
  a->join("moving", "a");
  a->leave("moving");
  EXPECT_TRUE(eventually([&] { return failure_of([&] { b->join("moving", "b"); }).code == BERTH_OK; }));
  EXPECT_TRUE(eventually([&] { return sorted_members(*a) == Members{{"moving", "b"}}; }));
}

TEST_P(BackendContract, DestroyingAnInstanceRemovesItsMembers) {
  auto a = open();
  auto b = open();
  a->join("a-1", "x");
  a->join("a-2", "y");
  b->join("b-1", "z");
  ASSERT_TRUE(eventually([&] { return member_ids(*b).size() == 3; }));
  a.reset();
  EXPECT_TRUE(eventually([&] { return member_ids(*b) == std::vector<std::string>{"b-1"}; }));
  auto c = open();
  EXPECT_EQ(failure_of([&] { c->join("a-1", "taken over"); }).code, BERTH_OK)
      << "the ids of a destroyed instance are free again";
}

TEST_P(BackendContract, EmptyMemberIdIsRejected) {
  auto a = open();
  EXPECT_EQ(failure_of([&] { a->join("", "x"); }).code, BERTH_E_INVALID_ARGUMENT);
  EXPECT_TRUE(member_ids(*a).empty());
}

}  // namespace
}  // namespace berth::test
