// Contract (ABI 1.3 keyed intake): the leader reads pending records without removing them, and
// they stay pending until someone settles their keys, so a leader that dies before publishing
// leaves them to the next one.
#include <set>

#include "backend/backend_contract.h"

namespace berth::test {
namespace {

using Keyed = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> records_of(const Keyed& keyed) {
  std::vector<std::string> out;
  for (const auto& [key, record] : keyed) out.push_back(record);
  return out;
}

std::vector<std::string> keys_of(const Keyed& keyed) {
  std::vector<std::string> out;
  for (const auto& [key, record] : keyed) out.push_back(key);
  return out;
}

TEST_P(BackendContract, EveryBuiltInBackendKeepsIntakeUntilItIsSettled) {
  auto leader = open();
  ASSERT_TRUE(leader->supports_intake_keys()) << GetParam().plugin;
  auto other = open();
  lead(*leader);
  other->submit("one");
  other->submit(std::string("two\0bytes", 9));
  leader->submit("");
  other->submit("four");

  Keyed first;
  ASSERT_TRUE(eventually([&] { return (first = leader->peek_intake()).size() == 4; }));
  EXPECT_EQ(records_of(first), (std::vector<std::string>{"one", std::string("two\0bytes", 9), "", "four"}))
      << "oldest first";
  std::vector<std::string> keys = keys_of(first);
  for (const std::string& key : keys) EXPECT_FALSE(key.empty());
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 4u) << "one key per record";
  EXPECT_EQ(leader->peek_intake(), first) << "reading removes nothing";

  leader->settle_intake({keys[0], keys[2]});
  EXPECT_EQ(leader->peek_intake(), (Keyed{first[1], first[3]}));
  leader->settle_intake({keys[0], keys[2]});  // settling twice is harmless
  leader->settle_intake({});
  other->submit("five");
  Keyed now;
  ASSERT_TRUE(eventually([&] { return (now = leader->peek_intake()).size() == 3; }));
  EXPECT_EQ(records_of(now), (std::vector<std::string>{std::string("two\0bytes", 9), "four", "five"}));
  EXPECT_EQ(now[0], first[1]) << "a record keeps its key";

  leader->settle_intake(keys_of(now));
  EXPECT_TRUE(leader->peek_intake().empty());
  EXPECT_TRUE(leader->drain().empty()) << "settled records are gone for drain() too";
}

TEST_P(BackendContract, ManyRecordsComeOldestFirstWithKeysNeverReused) {
  auto leader = open();
  lead(*leader);
  std::vector<std::string> sent;
  for (int i = 0; i < 25; ++i) {
    sent.push_back("record " + std::to_string(i));
    leader->submit(sent.back());
  }
  Keyed first;
  ASSERT_TRUE(eventually([&] { return (first = leader->peek_intake()).size() == 25; }));
  EXPECT_EQ(records_of(first), sent) << "oldest first past ten records (no text ordering of numbers)";
  std::vector<std::string> old_keys = keys_of(first);
  leader->settle_intake(old_keys);
  leader->submit("after settling");
  Keyed now;
  ASSERT_TRUE(eventually([&] { return (now = leader->peek_intake()).size() == 1; }));
  for (const std::string& key : old_keys) EXPECT_NE(now[0].first, key) << "a settled record's key is not reused";
}

TEST_P(BackendContract, OnlyTheLeaderPeeksButAnyInstanceMaySettle) {
  auto leader = open();
  auto follower = open();
  lead(*leader);
  follower->campaign();
  follower->submit("kept");
  follower->submit("settled by a follower");
  Keyed pending;
  ASSERT_TRUE(eventually([&] { return (pending = leader->peek_intake()).size() == 2; }));
  EXPECT_EQ(failure_of([&] { follower->peek_intake(); }).code, BERTH_E_STATE);

  // A leader deposed right after publishing still settles what it published.
  follower->settle_intake({pending[1].first});
  EXPECT_EQ(leader->peek_intake(), (Keyed{pending[0]}));
}

TEST_P(BackendContract, ALeaderThatNeverSettlesLeavesItsRecordsToTheNextLeader) {
  auto next = open();
  Keyed taken;
  {
    auto doomed = open();
    lead(*doomed);
    next->campaign();
    next->submit("added while the first leader led");
    next->submit("and another");
    ASSERT_TRUE(eventually([&] { return (taken = doomed->peek_intake()).size() == 2; }));
  }  // gone without settling, as if it died before publishing
  ASSERT_TRUE(eventually([&] { return next->leadership().is_leader == 1; }));
  Keyed again;
  ASSERT_TRUE(eventually([&] { return (again = next->peek_intake()).size() == 2; }));
  EXPECT_EQ(again, taken) << "the same records under the same keys";
}

TEST_P(BackendContract, KeysThatCannotBeThisBackendsAreRefusedAndNothingIsSettled) {
  auto leader = open();
  lead(*leader);
  leader->submit("stays");
  Keyed pending;
  ASSERT_TRUE(eventually([&] { return (pending = leader->peek_intake()).size() == 1; }));
  const std::string& key = pending[0].first;
  for (const std::string& bad : {std::string(), std::string("../members/x"), std::string("/"), key + "/x",
                                 std::string("r_1\0", 4), std::string(300, '9')}) {
    SCOPED_TRACE(bad);
    Failure failure = failure_of([&] { leader->settle_intake({key, bad}); });
    EXPECT_EQ(failure.code, BERTH_E_INVALID_ARGUMENT) << failure.message;
    EXPECT_NE(failure.message.find("key #1"), std::string::npos) << failure.message;
    EXPECT_EQ(leader->peek_intake(), pending) << "all or nothing: the good key was not settled either";
  }
}

}  // namespace
}  // namespace berth::test
