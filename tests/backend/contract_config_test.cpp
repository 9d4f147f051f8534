// Contract: configuration mistakes are refused with a message that names them.
#include "backend/backend_contract.h"

namespace berth::test {
namespace {

TEST_P(BackendContract, AnUnknownConfigKeyIsRejectedByName) {
  Failure failure = failure_of([&] { open_with({{"clusterr", "typo", "berth.toml:7"}}, nullptr); });
  EXPECT_EQ(failure.code, BERTH_E_CONFIG);
  EXPECT_NE(failure.message.find("clusterr"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("berth.toml:7"), std::string::npos) << "says where: " << failure.message;
}

TEST_P(BackendContract, ARejectedInstanceLeavesNoTrace) {
  WatchCounter on_a;
  auto a = open(&on_a);
  ASSERT_NE(failure_of([&] { open_with({{"no_such_key", "1", "test"}}, nullptr); }).code, BERTH_OK);
  a->join("a-1", "x");
  ASSERT_TRUE(on_a.wait_for(BERTH_CHANGED_MEMBERS, 1, settle()));
  EXPECT_EQ(member_ids(*a), std::vector<std::string>{"a-1"});
  EXPECT_EQ(a->leadership().epoch, 0u);
}

}  // namespace
}  // namespace berth::test
