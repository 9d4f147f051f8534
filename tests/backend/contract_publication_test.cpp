// Contract: publication of versioned snapshots, fenced by epoch, and fetching them.
#include "backend/backend_contract.h"

namespace berth::test {
namespace {

TEST_P(BackendContract, FetchBeforeAnyPublicationFindsVersionZero) {
  auto a = open();
  auto [version, bytes] = a->fetch(0);
  EXPECT_EQ(version, 0u);
  EXPECT_TRUE(bytes.empty());
}

TEST_P(BackendContract, TheLeaderPublishesAndEveryInstanceFetchesTheNewestVersion) {
  auto leader = open();
  auto b = open();
  auto c = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 1, "snapshot one");
  leader->publish(epoch, 7, std::string("snapshot\0seven", 14));
  for (Backend* reader : {leader.get(), b.get(), c.get()}) {
    std::pair<uint64_t, std::string> got;
    EXPECT_TRUE(eventually([&] { return (got = reader->fetch(0)).first == 7; }));
    EXPECT_EQ(got.second, std::string("snapshot\0seven", 14));
  }
}

TEST_P(BackendContract, FetchReturnsBytesOnlyWhenNewerThanKnown) {
  auto leader = open();
  auto b = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 5, "five");
  ASSERT_TRUE(eventually([&] { return b->fetch(0).first == 5; }));
  EXPECT_EQ(b->fetch(4), (std::pair<uint64_t, std::string>{5, "five"}));
  EXPECT_EQ(b->fetch(5), (std::pair<uint64_t, std::string>{5, ""})) << "already known: no bytes";
  EXPECT_EQ(b->fetch(9), (std::pair<uint64_t, std::string>{5, ""})) << "a caller ahead gets no bytes either";
}

TEST_P(BackendContract, VersionsMustIncrease) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  leader->publish(epoch, 10, "ten");
  EXPECT_EQ(failure_of([&] { leader->publish(epoch, 10, "again"); }).code, BERTH_E_STATE);
  Failure older = failure_of([&] { leader->publish(epoch, 3, "older"); });
  EXPECT_EQ(older.code, BERTH_E_STATE);
  EXPECT_NE(older.message.find("10"), std::string::npos) << "names the latest version: " << older.message;
  EXPECT_EQ(leader->fetch(0), (std::pair<uint64_t, std::string>{10, "ten"})) << "nothing lost";
  leader->publish(epoch, 11, "eleven");
  EXPECT_EQ(leader->fetch(10).second, "eleven");
}

TEST_P(BackendContract, VersionZeroCannotBePublished) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  EXPECT_EQ(failure_of([&] { leader->publish(epoch, 0, "zero"); }).code, BERTH_E_STATE);
}

TEST_P(BackendContract, AFollowersPublishIsFenced) {
  auto leader = open();
  auto follower = open();
  uint64_t epoch = lead(*leader);
  follower->campaign();
  EXPECT_EQ(failure_of([&] { follower->publish(epoch, 1, "usurper"); }).code, BERTH_E_FENCED);
  auto observer = open();
  EXPECT_EQ(failure_of([&] { observer->publish(epoch, 1, "observer"); }).code, BERTH_E_FENCED);
  EXPECT_EQ(leader->fetch(0).first, 0u);
}

TEST_P(BackendContract, ALeaderPublishingWithAWrongEpochIsFenced) {
  auto leader = open();
  uint64_t epoch = lead(*leader);
  EXPECT_EQ(failure_of([&] { leader->publish(epoch + 1, 1, "future"); }).code, BERTH_E_FENCED);
  EXPECT_EQ(failure_of([&] { leader->publish(epoch - 1, 1, "past"); }).code, BERTH_E_FENCED);
  EXPECT_EQ(failure_of([&] { leader->publish(epoch, 1, "right"); }).code, BERTH_OK);
}

TEST_P(BackendContract, ADeposedLeaderIsFencedAndTheMessageNamesTheNewEpoch) {
  auto old_leader = open();
  auto next = open();
  uint64_t old_epoch = lead(*old_leader);
  next->campaign();
  old_leader->publish(old_epoch, 1, "one");
  old_leader->resign();
  ASSERT_TRUE(eventually([&] { return next->leadership().is_leader == 1; }));
  uint64_t new_epoch = next->leadership().epoch;
  ASSERT_GT(new_epoch, old_epoch);

  Failure fenced = failure_of([&] { old_leader->publish(old_epoch, 2, "stale"); });
  EXPECT_EQ(fenced.code, BERTH_E_FENCED);
  EXPECT_NE(fenced.message.find(std::to_string(new_epoch)), std::string::npos)
      << "says at which epoch someone else leads: " << fenced.message;
  // Campaigning again does not bring the old epoch back.
  old_leader->campaign();
  EXPECT_EQ(failure_of([&] { old_leader->publish(old_epoch, 2, "stale"); }).code, BERTH_E_FENCED);

  next->publish(new_epoch, 2, "two");
  EXPECT_TRUE(eventually([&] { return old_leader->fetch(1) == std::pair<uint64_t, std::string>{2, "two"}; }));
}

TEST_P(BackendContract, ADestroyedLeadersSuccessorContinuesTheVersions) {
  auto a = open();
  auto b = open();
  uint64_t epoch_a = lead(*a);
  b->campaign();
  a->publish(epoch_a, 3, "three");
  a.reset();
  ASSERT_TRUE(eventually([&] { return b->leadership().is_leader == 1; }));
  uint64_t epoch_b = b->leadership().epoch;
  EXPECT_EQ(b->fetch(0), (std::pair<uint64_t, std::string>{3, "three"})) << "publications outlive their publisher";
  EXPECT_EQ(failure_of([&] { b->publish(epoch_b, 3, "again"); }).code, BERTH_E_STATE);
  b->publish(epoch_b, 4, "four");
  EXPECT_EQ(b->fetch(3).second, "four");
}

TEST_P(BackendContract, ALargeSnapshotRoundTrips) {
  auto leader = open();
  auto reader = open();
  uint64_t epoch = lead(*leader);
  std::string big(20u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  leader->publish(epoch, 1, big);
  std::pair<uint64_t, std::string> got;
  ASSERT_TRUE(eventually([&] { return (got = reader->fetch(0)).first == 1; }));
  EXPECT_TRUE(got.second == big) << "20 MiB came back as " << got.second.size() << " different bytes";
}

}  // namespace
}  // namespace berth::test
